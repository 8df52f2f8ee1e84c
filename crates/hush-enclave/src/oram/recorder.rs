//! A recorder of what the host sees of the store: which array was accessed,
//! its length and its block size, in order. Indices are not recorded because
//! the ORAM hides them; everything else the host could observe is here.

use super::{Block, ObliviousArray, OramFactory};
use std::sync::{Arc, Mutex};

/// One access as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Access {
    /// Which array.
    pub structure: &'static str,
    /// Its length in blocks.
    pub array_len: usize,
    /// Its block size in bytes.
    pub block_len: usize,
}

/// The shared, growing list of accesses.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<Access>>>);

impl Transcript {
    /// Takes the accesses recorded so far, leaving the transcript empty.
    pub fn take(&self) -> Vec<Access> {
        std::mem::take(&mut *self.0.lock().expect("transcript lock"))
    }

    fn push(&self, a: Access) {
        self.0.lock().expect("transcript lock").push(a);
    }
}

/// Wraps a factory so every array it makes records into one [`Transcript`].
#[derive(Debug, Clone)]
pub struct RecordingFactory<F> {
    inner: F,
    transcript: Transcript,
}

impl<F> RecordingFactory<F> {
    /// Records accesses of arrays made by `inner`.
    pub fn new(inner: F) -> Self {
        Self {
            inner,
            transcript: Transcript::default(),
        }
    }

    /// The transcript all arrays record into.
    pub fn transcript(&self) -> Transcript {
        self.transcript.clone()
    }
}

struct Recording<T> {
    inner: Box<dyn ObliviousArray<T>>,
    name: &'static str,
    transcript: Transcript,
}

impl<T: Block> ObliviousArray<T> for Recording<T> {
    fn len(&self) -> usize {
        self.inner.len()
    }

    fn access(&mut self, index: usize, f: &mut dyn FnMut(&mut T)) {
        self.transcript.push(Access {
            structure: self.name,
            array_len: self.inner.len(),
            block_len: std::mem::size_of::<T>(),
        });
        self.inner.access(index, f);
    }
}

impl<F: OramFactory> OramFactory for RecordingFactory<F> {
    fn array<T: Block>(&self, name: &'static str, len: usize) -> Box<dyn ObliviousArray<T>> {
        Box::new(Recording {
            inner: self.inner.array(name, len),
            name,
            transcript: self.transcript.clone(),
        })
    }
}
