// The hush browser demo: two panes, alice and bob, each its own identity
// and its own attested session. Everything secret happens in the
// WebAssembly client core (pkg/hush_web.js, built from crates/hush-web),
// driven by hush.js (the same module the npm package ships): this script
// only shows what comes back.
import { Card, Client, Identity, ready } from './hush.js';

// The demo accepts dev attestation (it is served in dev mode) and says so
// on the page. This build of the client cannot verify hardware evidence.
const ALLOW_DEV = true;

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
      this.run(() => this.become(Identity.fromSecret(name, secret)));
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
    await this.become(Identity.generate(this.q('.name').value.trim()));
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
    this.client = await Client.connect('', { allowDev: ALLOW_DEV });
    showAttestation(this.client);
  }

  contact() {
    const text = this.q('.their-card').value.trim();
    this.contactCard = null;
    this.q('.safety').textContent = '';
    if (!text) return;
    this.contactCard = Card.parse(text);
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
    await this.client.send(this.identity, this.contactCard, this.q('.text').value);
    this.q('.text').value = '';
    this.say('sent');
  }

  // The fixed-shape inbox: one list, then a read for every mailbox slot.
  async refresh() {
    this.say('checking…');
    const messages = await this.client.inbox(this.identity);
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
        await this.client.delete(this.identity, m.id);
        await this.refresh();
      });
      li.append(from, text, del);
      list.append(li);
    }
    this.say(messages.length === 1 ? '1 message' : `${messages.length} messages`);
  }
}

function showAttestation(client) {
  const a = document.getElementById('attestation');
  a.textContent = client.attestation + ' · enclave epoch ' + client.epoch;
  a.className = client.attestation.startsWith('DEV') ? 'warning' : 'verified';
}

await ready();
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
