//! The inbox's fixed shape in the browser, as in the CLI: one list, then
//! exactly one read per mailbox slot (the listed ids, then random ids that
//! match nothing), so the host sees the same requests however many
//! messages there are.

use crate::WebError;
use hush_wire::MessageId;
use hush_wire::consts::MAILBOX_CAPACITY;
use wasm_bindgen::prelude::wasm_bindgen;

/// Requests one inbox refresh makes: a list and a read per mailbox slot.
pub const INBOX_REQUESTS: usize = 1 + MAILBOX_CAPACITY;

/// The ids to read after a list that returned `listed` (hex): always
/// [`MAILBOX_CAPACITY`] of them, the listed ones first.
#[wasm_bindgen(js_name = inboxReadIds)]
pub fn inbox_read_ids(listed: Vec<String>) -> Result<Vec<String>, WebError> {
    if listed.len() > MAILBOX_CAPACITY {
        return Err(WebError::new("a mailbox lists at most 62 messages"));
    }
    let mut ids = Vec::with_capacity(MAILBOX_CAPACITY);
    for id in listed {
        ids.push(MessageId::from_hex(&id).map_err(WebError::new)?.to_hex());
    }
    while ids.len() < MAILBOX_CAPACITY {
        ids.push(hush_client::new_message_id().to_hex());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refresh_reads_every_slot() {
        assert_eq!(inbox_read_ids(vec![]).unwrap().len(), MAILBOX_CAPACITY);
        let one = hush_client::new_message_id().to_hex();
        let ids = inbox_read_ids(vec![one.clone()]).unwrap();
        assert_eq!((ids.len(), &ids[0]), (MAILBOX_CAPACITY, &one));
        assert!(inbox_read_ids(vec!["zz".into()]).is_err());
        assert!(inbox_read_ids(vec![one; MAILBOX_CAPACITY + 1]).is_err());
    }
}
