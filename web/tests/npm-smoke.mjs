// The npm package as a user gets it: this script is copied into an empty
// project where `npm install hush-client-*.tgz` ran, and imports the
// package by name. It sends bob (made with the CLI) a message that
// `hush inbox` must then read, and checks the errors an app sees.
// Usage: node npm-smoke.mjs http://127.0.0.1:PORT BOB_CARD
import assert from 'node:assert/strict';
import { Card, Client, HushError, Identity, ready } from 'hush-client';

const [url, bobCard] = process.argv.slice(2);
await ready();
const alice = Identity.generate('alice');
const bob = Card.parse(bobCard);

// A local hushd's dev attestation is refused unless asked for.
await assert.rejects(Client.connect(url), (e) => e instanceof HushError && e.kind === 'attestation');
// Nobody listening.
await assert.rejects(Client.connect('http://127.0.0.1:9', { allowDev: true }),
  (e) => e instanceof HushError && e.kind === 'unreachable');

const client = await Client.connect(url, { allowDev: true });
assert.match(client.attestation, /^DEV attestation/);
assert.equal(client.channel, 'Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s');
await client.send(alice, bob, 'hello bob, from Node');
// A refusal carries the broker's status.
await assert.rejects(client.read(alice, '0123456789abcdef0123456789abcdef'),
  (e) => e instanceof HushError && e.kind === 'refused' && e.status === 'NotFound');
// Too long a text is refused before anything is sent.
await assert.rejects(client.send(alice, bob, 'x'.repeat(788)),
  (e) => e instanceof HushError && e.kind === 'input');
// Alice writes to herself, and reads it back through the fixed-shape inbox.
await client.send(alice, Card.parse(alice.card()), 'a note to self');
const inbox = await client.inbox(alice);
assert.deepEqual(inbox.map((m) => m.text), ['a note to self']);
assert.equal(inbox[0].from, alice.publicKey);
await client.delete(alice, inbox[0].id);
assert.deepEqual(await client.inbox(alice), []);
console.log('npm package: sent, read, deleted; errors typed');
