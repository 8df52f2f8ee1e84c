// hush for JavaScript: the WebAssembly client core (pkg/hush_web.js, built
// from crates/hush-web) with a small client around it, for the browser and
// for Node 20 or later. Everything secret happens in the WebAssembly: the
// attested Noise session, key proofs, end-to-end sealing. This module only
// moves sealed JSON bodies to hushd's HTTP/JSON API (docs/PROTOCOL.md
// section 10) and turns answers into values and errors.
//
//   import { ready, Identity, Card, Client } from 'hush-client';
//   await ready();
//   const alice = Identity.generate('alice');
//   const client = await Client.connect('http://127.0.0.1:7878', { allowDev: true });
//   await client.send(alice, Card.parse(bobsCard), 'hello bob');
//   for (const m of await client.inbox(alice)) console.log(m.from, m.text);
import init, {
  PendingHandshake,
  WebContact,
  WebIdentity,
  inboxReadIds,
} from './pkg/hush_web.js';

let loading;

/** Loads the WebAssembly core once; every other call needs it first. */
export function ready() {
  if (!loading) {
    const node = typeof process !== 'undefined' && process.versions && process.versions.node;
    loading = node
      ? import('node:fs/promises')
        .then((fs) => fs.readFile(new URL('./pkg/hush_web_bg.wasm', import.meta.url)))
        .then((bytes) => init({ module_or_path: bytes }))
      : init();
  }
  return loading;
}

/** What hush refused or could not do. `status` is the broker's status name
 * ("NotFound", "MailboxFull", ... as in docs/PROTOCOL.md section 2) when
 * the server answered with one; `kind` says what went wrong: "refused"
 * (the server answered no), "attestation" (the server's evidence was not
 * accepted: do not retry blindly), "unreachable" (retry later) or
 * "input" (the arguments). */
export class HushError extends Error {
  constructor(message, kind, status) {
    super(message);
    this.name = 'HushError';
    this.kind = kind;
    this.status = status;
  }
}

/** An identity: a key pair named locally. Keep `secretHex()` secret. */
export const Identity = {
  generate: (name) => guard(() => WebIdentity.generate(name)),
  fromSecret: (name, secretHex) => guard(() => WebIdentity.fromSecret(name, secretHex)),
};

/** A contact card (`hush-card-v1:...`), its signature checked. */
export const Card = {
  parse: (text) => guard(() => WebContact.fromCard(text)),
};

function guard(f) {
  try {
    return f();
  } catch (e) {
    throw new HushError(String(e.message || e), 'input');
  }
}

/** A session with one hushd, over its HTTP/JSON API. */
export class Client {
  /** Connects and checks the server's attestation. Dev attestation (a
   * local hushd) proves nothing and is refused unless `allowDev`. */
  static async connect(url, { allowDev = false, fetch = globalThis.fetch } = {}) {
    await ready();
    const c = new Client(url.replace(/\/+$/, ''), allowDev, fetch);
    await c.#handshake();
    return c;
  }

  #url;
  #allowDev;
  #fetch;
  #session;
  #proven = new Map();
  #tokens = [];
  #tokenKey = null;

  constructor(url, allowDev, fetchFn) {
    this.#url = url;
    this.#allowDev = allowDev;
    this.#fetch = fetchFn;
  }

  /** What the attestation established ("DEV attestation: ..." or
   * "verified ... hardware attestation"). */
  get attestation() { return this.#session.attestation; }

  /** The enclave's epoch (hex): new at every start of the enclave. */
  get epoch() { return this.#session.epoch; }

  /** The Noise protocol the session ran: hybrid post-quantum, X25519 and
   * ML-KEM-768 ("Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s"). */
  get channel() { return this.#session.channel; }

  async #post(path, body) {
    const fetchFn = this.#fetch; // called unbound, as fetch must be
    let r;
    try {
      r = await fetchFn(this.#url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    } catch (e) {
      throw new HushError(`cannot reach ${this.#url}: ${e.cause?.message || e.message}`, 'unreachable');
    }
    return await r.text();
  }

  async #handshake() {
    const hs = PendingHandshake.start();
    const answer = await this.#post('/v1/broker/handshake', hs.body());
    try {
      this.#session = hs.finish(answer, this.#allowDev);
    } catch (e) {
      const text = String(e.message || e);
      throw new HushError(text, /attestation|policy|evidence/i.test(text) ? 'attestation' : 'refused');
    }
    // A new session holds no keys: prove again those proven before.
    const again = [...this.#proven.values()];
    this.#proven.clear();
    for (const me of again) await this.#prove(me);
  }

  async #prove(me) {
    const out = this.#session.proveKey(me);
    const r = JSON.parse(this.#session.open(out, await this.#post(out.path, out.body)));
    if (r.status !== 'Ok') throw new HushError('the server refused the key proof: ' + r.detail, 'refused');
    this.#proven.set(me.publicKey, me);
  }

  // One sealed request as `me`; a lost session (hushd restarted, or the
  // session expired) is established again once and the request sealed
  // again. Answers other than Ok are errors unless `anyStatus`.
  async #call(me, make, anyStatus = false) {
    if (!this.#proven.has(me.publicKey)) await this.#prove(me);
    for (let attempt = 1; ; attempt++) {
      let out;
      try {
        out = make(this.#session);
      } catch (e) {
        throw new HushError(String(e.message || e), 'input');
      }
      let answer;
      try {
        answer = JSON.parse(this.#session.open(out, await this.#post(out.path, out.body)));
      } catch (e) {
        const text = String(e.message || e);
        if (attempt === 1 && text.includes('UNAUTHENTICATED')) {
          await this.#handshake();
          continue;
        }
        throw e instanceof HushError ? e : new HushError(text, 'refused');
      }
      if (answer.status !== 'Ok' && !anyStatus) {
        throw new HushError(answer.detail, 'refused', answer.status);
      }
      return answer;
    }
  }

  /** Seals `text` for the contact `card` and stores it in their mailbox.
   * On a server that requires tokens, a send without credit redeems a
   * token of the stock (fetching the directory's next batch when it is
   * empty) and goes again. */
  async send(me, card, text) {
    const r = await this.#call(me, (s) => s.send(me, card, text), true);
    if (r.status === 'NoTokens') {
      await this.#redeemFromStock(me);
      await this.#call(me, (s) => s.send(me, card, text));
    } else if (r.status !== 'Ok') {
      throw new HushError(r.detail, 'refused', r.status);
    }
  }

  /** Adds Privacy Pass tokens (base64 strings) to the stock; a send that
   * finds no credit redeems them. Returns the stock's size. */
  addTokens(tokens) {
    this.#tokens.push(...tokens.map((t) => String(t).trim()).filter((t) => t));
    return this.#tokens.length;
  }

  /** Tokens in the stock. */
  get tokensLeft() { return this.#tokens.length; }

  /** Takes the stock (an app keeps it across sessions, e.g. in storage). */
  takeTokens() { return this.#tokens.splice(0); }

  /** Fetches the next batch of the day's tokens from the directory for
   * `me`'s verified account: granted to this session, then issued
   * blindly (the batch's proof is checked in the WebAssembly). Returns how
   * many came. */
  async fetchTokens(me) {
    const g = await this.#call(me, (s) => s.grantTokens(me), true);
    if (g.status === 'RateLimited') {
      throw new HushError(
        g.perDay === 0
          ? "no tokens: this server's directory issues none; add tokens from the operator's issuer with addTokens()"
          : `no tokens left today; the limit is ${g.perDay} tokens a day per account`,
        'refused', 'NoTokens');
    }
    if (g.status !== 'Ok') {
      throw new HushError(
        `no tokens: ${g.detail} (an identity with a verified account gets them from the directory; otherwise add tokens from the operator's issuer with addTokens())`,
        'refused', 'NoTokens');
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.#tokenKey) this.#tokenKey = (await this.#call(me, (s) => s.issue(undefined), true)).key;
      const key = this.#tokenKey;
      if (!key) break;
      const r = await this.#call(me, (s) => s.issue(key), true);
      if (r.status === 'Ok') {
        this.#tokens.push(...r.tokens);
        return r.tokens.length;
      }
      if (r.status !== 'KeyChanged') throw new HushError(r.detail, 'refused', 'NoTokens');
      this.#tokenKey = r.key;
    }
    throw new HushError("the directory's token key could not be learned", 'refused', 'NoTokens');
  }

  // Redeems tokens of the stock until one holds, dropping those the
  // server refuses; an empty stock is refilled from the directory once.
  async #redeemFromStock(me) {
    let fetched = false;
    let refused = 0;
    for (;;) {
      const token = this.#tokens.shift();
      if (token === undefined) {
        if (fetched) break;
        fetched = true;
        try {
          await this.fetchTokens(me);
          continue;
        } catch (e) {
          if (e instanceof HushError && e.status === 'NoTokens' && e.message.startsWith('no tokens: ')) break;
          throw e;
        }
      }
      let r;
      try {
        r = await this.#call(me, (s) => s.redeem(token), true);
      } catch (e) {
        if (e instanceof HushError && e.kind === 'input') { refused++; continue; }
        throw e;
      }
      if (r.status === 'Ok') return;
      if (r.status === 'Spent' || r.status === 'Invalid') { refused++; continue; }
      this.#tokens.unshift(token);
      throw new HushError(r.detail, 'refused', r.status);
    }
    throw new HushError(
      `no tokens left: this server requires Privacy Pass tokens for writes (${refused} of the stock were refused); an identity with a verified account gets them from the directory by itself, otherwise add tokens from the operator's issuer with addTokens()`,
      'refused', 'NoTokens');
  }

  /** `me`'s messages, oldest first, opened: `{id, from, kind, text, time}`
   * (`from` the author's public key, `time` seconds since the epoch). The
   * inbox always costs the same requests (a list, then a read per slot),
   * whatever it holds. */
  async inbox(me) {
    const listed = await this.#call(me, (s) => s.list(me));
    const messages = [];
    for (const id of inboxReadIds(listed.ids)) {
      // Padding reads ask for ids that are not there: their answers are
      // dropped, as is a message deleted since the list.
      const r = await this.#call(me, (s) => s.read(me, id), true);
      if (r.status === 'Ok' && listed.ids.includes(id)) messages.push(r.message);
    }
    return messages;
  }

  /** Reads one message of `me`'s mailbox by its id (hex). */
  async read(me, id) {
    return (await this.#call(me, (s) => s.read(me, id))).message;
  }

  /** Deletes one message of `me`'s mailbox. */
  async delete(me, id) {
    await this.#call(me, (s) => s.delete(me, id));
  }
}
