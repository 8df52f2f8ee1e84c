// Types of hush.js: the hush client for JavaScript (browser and Node 20+).
import type { WebContact, WebIdentity } from './pkg/hush_web.js';

export type { WebContact, WebIdentity };

/** Loads the WebAssembly core once; every other call needs it first. */
export function ready(): Promise<unknown>;

/** What went wrong: the server refused ("refused", with `status`), its
 * attestation was not accepted ("attestation"), it could not be reached
 * ("unreachable"), or the arguments were wrong ("input"). */
export type HushErrorKind = 'refused' | 'attestation' | 'unreachable' | 'input';

/** The broker's status names (docs/PROTOCOL.md section 2). */
export type BrokerStatus =
  | 'Ok' | 'NotFound' | 'AlreadyExists' | 'MailboxFull' | 'StoreFull'
  | 'TooManyRecipients' | 'InvalidRequest' | 'KeyNotProven' | 'PolicyFull'
  | 'NoTokens';

export class HushError extends Error {
  readonly name: 'HushError';
  readonly kind: HushErrorKind;
  /** The broker's status, when the server answered with one. */
  readonly status?: BrokerStatus;
}

export const Identity: {
  /** A new identity (a fresh key pair) named `name` (1 to 32 letters,
   * digits, '-' or '_'). */
  generate(name: string): WebIdentity;
  /** An identity from its 32-byte secret seed (64 hex digits), e.g. from
   * `secretHex()` or the CLI's identity file. */
  fromSecret(name: string, secretHex: string): WebIdentity;
};

export const Card: {
  /** A contact card (`hush-card-v1:...`); throws unless its signature holds. */
  parse(text: string): WebContact;
};

/** An opened message. */
export interface Message {
  /** The message id (32 hex digits). */
  id: string;
  /** The author's public key (64 hex digits). */
  from: string;
  /** What it carries: "text", "receipt", "typing", ... */
  kind: string;
  /** Its text (for a text). */
  text: string;
  /** When the broker stored it (seconds since the epoch). */
  time: number;
}

export interface ConnectOptions {
  /** Accept dev attestation (a local hushd): it proves nothing. */
  allowDev?: boolean;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

/** A session with one hushd over its HTTP/JSON API. */
export class Client {
  static connect(url: string, options?: ConnectOptions): Promise<Client>;
  /** What the attestation established. */
  readonly attestation: string;
  /** The enclave's epoch (hex). */
  readonly epoch: string;
  /** The Noise protocol the session ran (hybrid post-quantum: X25519 and ML-KEM-768). */
  readonly channel: string;
  /** Seals `text` for `card` and stores it in their mailbox, as `me`. On a
   * server that requires tokens, a send without credit redeems a token of
   * the stock by itself (fetching the day's next batch from the directory
   * when the stock is empty and `me` has a verified account) and goes
   * again; with none to be had it fails with status 'NoTokens'. */
  send(me: WebIdentity, card: WebContact, text: string): Promise<void>;
  /** Adds Privacy Pass tokens (base64: type 2 from the operator's issuer,
   * or type 5 from the directory) to the stock; returns its size. */
  addTokens(tokens: string[]): number;
  /** Tokens in the stock. */
  readonly tokensLeft: number;
  /** Takes the stock (to keep tokens across sessions). */
  takeTokens(): string[];
  /** Fetches the next batch of the day's tokens (4) from the directory for
   * `me`'s verified account, blindly; returns how many came. */
  fetchTokens(me: WebIdentity): Promise<number>;
  /** `me`'s messages, oldest first, opened. */
  inbox(me: WebIdentity): Promise<Message[]>;
  /** One message of `me`'s mailbox by its id. */
  read(me: WebIdentity, id: string): Promise<Message>;
  /** Deletes one message of `me`'s mailbox. */
  delete(me: WebIdentity, id: string): Promise<void>;
}
