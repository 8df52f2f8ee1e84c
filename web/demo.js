// The hush browser demo: two panes, alice and bob, each its own identity
// and its own attested session. Everything secret happens in the
// WebAssembly client core (pkg/hush_web.js, built from crates/hush-web):
// this script only moves sealed JSON bodies to hushd's HTTP/JSON API and
// shows what comes back.
import init, { PendingHandshake, WebContact, WebIdentity, inboxReadIds } from './pkg/hush_web.js';

// The demo accepts dev attestation (it is served in dev mode) and says so
// on the page. This build of the client cannot verify hardware evidence.
const ALLOW_DEV = true;

async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return await r.text();
}

// Control characters are shown escaped, never interpreted (as the CLI
// does without --raw); newlines and tabs stay.
function visible(text) {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => '\\u{' + c.codePointAt(0).toString(16) + '}');
}

class Pane {
  constructor(el) {
    this.el = el;
    this.who = el.dataset.pane;
    el.append(document.getElementById('pane').content.cloneNode(true));
    this.q('.who').textContent = this.who;
    this.q('.name').value = this.who;
    this.q('.new-identity').onclick = () => this.run(() => this.create());
    this.q('.send').onclick = () => this.run(() => this.send());
    this.q('.refresh').onclick = () => this.run(() => this.refresh());
    this.q('.their-card').onchange = () => this.run(async () => this.contact());
    this.q('.their-name').onchange = () => this.run(async () => this.contact());
    const saved = localStorage.getItem('hush-demo-' + this.who);
    if (saved) {
      const { name, secret } = JSON.parse(saved);
      this.run(() => this.become(WebIdentity.fromSecret(name, secret)));
    }
  }

  q(sel) { return this.el.querySelector(sel); }

  say(text, error = false) {
    const s = this.q('.status');
    s.textContent = text;
    s.classList.toggle('error', error);
  }

  async run(f) {
    try {
      await f();
    } catch (e) {
      this.say(String(e.message || e), true);
    }
  }

  async create() {
    await this.become(WebIdentity.generate(this.q('.name').value.trim()));
  }

  async become(identity) {
    this.identity = identity;
    // The secret stays in this browser's local storage: a demo, not a wallet.
    localStorage.setItem('hush-demo-' + this.who,
      JSON.stringify({ name: identity.name, secret: identity.secretHex() }));
    await this.connect();
    this.q('.setup').hidden = true;
    this.q('.ready').hidden = false;
    this.q('.who').textContent = `${this.who}: ${identity.name}`;
    this.q('.key').textContent = 'key ' + identity.publicKey;
    this.q('.my-card').value = identity.card();
    this.say('connected');
  }

  async connect() {
    const hs = PendingHandshake.start();
    const session = hs.finish(await post('/v1/broker/handshake', hs.body()), ALLOW_DEV);
    const proof = session.proveKey(this.identity);
    const r = JSON.parse(session.open(proof, await post(proof.path, proof.body)));
    if (r.status !== 'Ok') throw new Error('the server refused the key proof: ' + r.detail);
    this.session = session;
    showAttestation(session);
  }

  // One sealed request; a lost session (hushd restarted, or idle) is
  // re-established once and the request sealed again.
  async call(make) {
    for (let attempt = 1; ; attempt++) {
      const out = make(this.session);
      try {
        return JSON.parse(this.session.open(out, await post(out.path, out.body)));
      } catch (e) {
        if (attempt > 1 || !String(e.message).includes('UNAUTHENTICATED')) throw e;
        await this.connect();
      }
    }
  }

  contact() {
    const text = this.q('.their-card').value.trim();
    this.contactCard = null;
    this.q('.safety').textContent = '';
    if (!text) return;
    this.contactCard = WebContact.fromCard(text);
    this.q('.safety').textContent = 'safety number ' + this.contactCard.safetyNumber(this.identity);
    this.say(`contact ${this.contactName()} (${this.contactCard.publicKey.slice(0, 16)}…) added`);
  }

  // The name this pane gave its contact (the card carries none).
  contactName() {
    return this.q('.their-name').value.trim() || 'contact';
  }

  // A sender as people know them: the contact's name, "me", or the
  // beginning of a key no card here names.
  senderName(key) {
    if (this.contactCard && key === this.contactCard.publicKey) return this.contactName();
    if (key === this.identity.publicKey) return 'me';
    return key.slice(0, 16) + '…';
  }

  async send() {
    if (!this.contactCard) this.contact();
    if (!this.contactCard) throw new Error("paste your contact's card first (or press Exchange cards)");
    const text = this.q('.text').value;
    const r = await this.call((s) => s.send(this.identity, this.contactCard, text));
    if (r.status !== 'Ok') throw new Error(r.detail);
    this.q('.text').value = '';
    this.say('sent');
  }

  // The fixed-shape inbox: one list, then a read for every mailbox slot.
  async refresh() {
    this.say('checking…');
    const listed = await this.call((s) => s.list(this.identity));
    if (listed.status !== 'Ok') throw new Error(listed.detail);
    const messages = [];
    for (const id of inboxReadIds(listed.ids)) {
      const r = await this.call((s) => s.read(this.identity, id));
      if (r.status === 'Ok' && listed.ids.includes(id)) messages.push(r.message);
    }
    const list = this.q('.inbox');
    list.replaceChildren();
    for (const m of messages) {
      const li = document.createElement('li');
      li.className = 'message';
      const from = document.createElement('div');
      from.className = 'from';
      from.textContent = `from ${visible(this.senderName(m.from))} at ${new Date(m.time * 1000).toLocaleTimeString()}`;
      from.title = m.from;
      const text = document.createElement('div');
      text.className = 'text';
      text.textContent = visible(m.text);
      const del = document.createElement('button');
      del.className = 'delete';
      del.textContent = 'Delete';
      del.onclick = () => this.run(async () => {
        const d = await this.call((s) => s.delete(this.identity, m.id));
        if (d.status !== 'Ok') throw new Error(d.detail);
        await this.refresh();
      });
      li.append(from, text, del);
      list.append(li);
    }
    this.say(messages.length === 1 ? '1 message' : `${messages.length} messages`);
  }
}

function showAttestation(session) {
  const a = document.getElementById('attestation');
  a.textContent = session.attestation + ' · enclave epoch ' + session.epoch;
  a.className = session.attestation.startsWith('DEV') ? 'warning' : 'verified';
}

await init();
const panes = [...document.querySelectorAll('.pane')].map((el) => new Pane(el));
document.getElementById('exchange').onclick = () => {
  const [a, b] = panes;
  if (!a.identity || !b.identity) {
    (a.identity ? b : a).say('make both identities first', true);
    return;
  }
  a.q('.their-card').value = b.identity.card();
  b.q('.their-card').value = a.identity.card();
  a.q('.their-name').value = b.identity.name;
  b.q('.their-name').value = a.identity.name;
  a.run(async () => a.contact());
  b.run(async () => b.contact());
};
document.body.dataset.ready = 'true';
