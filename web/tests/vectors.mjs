// The test vectors of docs/vectors/, checked by the WebAssembly build under
// Node (through hush.js, as an app uses it): identities from seeds, cards
// (one forged) and safety numbers. Usage: node web/tests/vectors.mjs
// Exits non-zero, with the reason, on any failure.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Card, HushError, Identity, ready } from '../hush.js';

const dir = new URL('../../docs/vectors/', import.meta.url);
const load = async (name) => JSON.parse(await readFile(new URL(name, dir), 'utf8'));

await ready();
const identity = await load('identity.json');
for (const p of identity.identities) {
  const id = Identity.fromSecret('x', p.seed);
  assert.equal(id.publicKey, p.signing_public, 'signing key from seed');
  assert.equal(id.encryptionKey, p.encryption_public, 'encryption key from seed');
}
const cards = await load('cards.json');
let checked = 0;
for (const c of cards.cards) {
  if (c.valid) {
    assert.equal(Card.parse(c.card).publicKey, c.signing_public);
  } else {
    assert.throws(() => Card.parse(c.card), (e) => e instanceof HushError && e.kind === 'input',
      `a forged card is refused (${c.why})`);
  }
  checked++;
}
const seedOf = Object.fromEntries(identity.identities.map((p) => [p.signing_public, p.seed]));
for (const p of cards.safety_numbers) {
  const card = cards.cards.find((c) => c.signing_public === p.b);
  assert.equal(Card.parse(card.card).safetyNumber(Identity.fromSecret('me', seedOf[p.a])), p.grouped);
  checked++;
}
assert.ok(checked >= 6, 'the vectors were read');
console.log(`vectors: ${identity.identities.length} identities, ${checked} cards and safety numbers match in WebAssembly`);
