/* tslint:disable */
/* eslint-disable */

/**
 * A sealed request: the JSON body to POST, and what is needed to open
 * its answer.
 */
export class Outgoing {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The JSON body to POST.
     */
    readonly body: string;
    /**
     * The path to POST it to (`/v1/broker/prove-keys`,
     * `/v1/broker/query`, `/v1/directory/query` or `/v1/tokens/redeem`).
     */
    readonly path: string;
}

/**
 * The first half of a handshake: its body for `POST /v1/broker/handshake`.
 */
export class PendingHandshake {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The JSON body to POST to `/v1/broker/handshake`.
     */
    body(): string;
    /**
     * Reads hushd's answer (the JSON text), checks its attestation and
     * returns the session. Dev attestation is accepted only when
     * `allow_dev` is set, as with the CLI's `--dev`.
     */
    finish(answer: string, allow_dev: boolean): Session;
    /**
     * Starts a hybrid Noise NXhfs handshake (X25519 and ML-KEM-768).
     */
    static start(): PendingHandshake;
}

/**
 * An established, attested session.
 */
export class Session {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Deletes message `id` (hex) of `me`'s mailbox.
     */
    delete(me: WebIdentity, id: string): Outgoing;
    /**
     * Asks the directory for the next batch of `me`'s account's tokens
     * for the day (granted to this session; then [`Session::issue`]).
     */
    grantTokens(me: WebIdentity): Outgoing;
    /**
     * Has the granted batch issued for the directory key `key` (hex, as
     * an answer's `key` gives it), blinded here; its answer's `tokens`
     * are the batch. Without a key, asks for nothing and learns the key.
     */
    issue(key?: string | null): Outgoing;
    /**
     * Lists `me`'s mailbox.
     */
    list(me: WebIdentity): Outgoing;
    /**
     * Opens hushd's answer (JSON text) to `out`. Returns JSON text:
     * `{"status": "Ok" | ..., "detail": "..."}`, with `ids` for a list
     * and `message` (`id`, `from`, `kind`, `text`, `time`) for a read.
     */
    open(out: Outgoing, answer: string): string;
    /**
     * Proves the session holds `me`'s key (needed before acting as it).
     */
    proveKey(me: WebIdentity): Outgoing;
    /**
     * Reads message `id` (hex) of `me`'s mailbox; its answer is opened
     * end to end as `me`.
     */
    read(me: WebIdentity, id: string): Outgoing;
    /**
     * Redeems one token (base64) for this session's credits.
     */
    redeem(token: string): Outgoing;
    /**
     * Seals `text` end to end for `to` and asks to store it, from `me`.
     */
    send(me: WebIdentity, to: WebContact, text: string): Outgoing;
    /**
     * What the attestation established, for the page to show.
     */
    readonly attestation: string;
    /**
     * The Noise protocol the session ran: hybrid post-quantum, X25519
     * and ML-KEM-768 (its keys need both).
     */
    readonly channel: string;
    /**
     * The enclave's epoch (hex), new at every start of the enclave.
     */
    readonly epoch: string;
}

/**
 * Someone's checked contact card.
 */
export class WebContact {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Parses and checks a card's text (its signature binds the
     * encryption key to the identity key).
     */
    static fromCard(text: string): WebContact;
    /**
     * The safety number of `me` and this contact (60 digits in groups of
     * five), to compare out of band as with `hush contact verify`.
     */
    safetyNumber(me: WebIdentity): string;
    /**
     * The contact's public key (hex).
     */
    readonly publicKey: string;
}

/**
 * A named key pair.
 */
export class WebIdentity {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Its contact card, to hand to others.
     */
    card(): string;
    /**
     * The identity with secret seed `secret_hex` (64 hex digits).
     */
    static fromSecret(name: string, secret_hex: string): WebIdentity;
    /**
     * A new random identity called `name` (1 to 32 letters, digits, '-'
     * or '_', as in the CLI).
     */
    static generate(name: string): WebIdentity;
    /**
     * Its secret seed (hex), for the page to keep in local storage.
     */
    secretHex(): string;
    /**
     * Its X25519 encryption key (hex), the one its card carries.
     */
    readonly encryptionKey: string;
    /**
     * Its name.
     */
    readonly name: string;
    /**
     * Its public key (hex): its address on the broker.
     */
    readonly publicKey: string;
}

/**
 * The ids to read after a list that returned `listed` (hex): always
 * [`MAILBOX_CAPACITY`] of them, the listed ones first.
 */
export function inboxReadIds(listed: string[]): string[];

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_outgoing_free: (a: number, b: number) => void;
    readonly __wbg_pendinghandshake_free: (a: number, b: number) => void;
    readonly __wbg_session_free: (a: number, b: number) => void;
    readonly __wbg_webcontact_free: (a: number, b: number) => void;
    readonly __wbg_webidentity_free: (a: number, b: number) => void;
    readonly inboxReadIds: (a: number, b: number) => [number, number, number, number];
    readonly outgoing_body: (a: number) => [number, number];
    readonly outgoing_path: (a: number) => [number, number];
    readonly pendinghandshake_body: (a: number) => [number, number, number, number];
    readonly pendinghandshake_finish: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly pendinghandshake_start: () => [number, number, number];
    readonly session_attestation: (a: number) => [number, number];
    readonly session_channel: (a: number) => [number, number];
    readonly session_delete: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly session_epoch: (a: number) => [number, number];
    readonly session_grantTokens: (a: number, b: number) => number;
    readonly session_issue: (a: number, b: number, c: number) => [number, number, number];
    readonly session_list: (a: number, b: number) => number;
    readonly session_open: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly session_proveKey: (a: number, b: number) => number;
    readonly session_read: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly session_redeem: (a: number, b: number, c: number) => [number, number, number];
    readonly session_send: (a: number, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly webcontact_fromCard: (a: number, b: number) => [number, number, number];
    readonly webcontact_publicKey: (a: number) => [number, number];
    readonly webcontact_safetyNumber: (a: number, b: number) => [number, number];
    readonly webidentity_card: (a: number) => [number, number];
    readonly webidentity_encryptionKey: (a: number) => [number, number];
    readonly webidentity_fromSecret: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly webidentity_generate: (a: number, b: number) => [number, number, number];
    readonly webidentity_name: (a: number) => [number, number];
    readonly webidentity_publicKey: (a: number) => [number, number];
    readonly webidentity_secretHex: (a: number) => [number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_drop_slice: (a: number, b: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
