// The npm package on a hushd that requires Privacy Pass tokens, whose
// directory issues each verified account 8 a day (one write a token):
// alice's account was verified with the CLI, and her identity is loaded
// here from its secret; a send fetches a batch from the directory by
// itself (blindly, its proof checked in the WebAssembly) and spends one;
// the day's limit is named; an identity without an account is told how to
// get tokens. Usage: node npm-tokens.mjs http://127.0.0.1:PORT ALICE_SECRET_HEX
import assert from 'node:assert/strict';
import { Card, Client, HushError, Identity, ready } from 'hush-client';

const [url, aliceSecret] = process.argv.slice(2);
await ready();
const alice = Identity.fromSecret('alice', aliceSecret);
const self = Card.parse(alice.card());
const client = await Client.connect(url, { allowDev: true });

await client.send(alice, self, 'paid with a token of the directory');
assert.equal(client.tokensLeft, 3, 'the rest of the batch stays in the stock');
assert.equal(await client.fetchTokens(alice), 4);
await assert.rejects(client.fetchTokens(alice),
  (e) => e instanceof HushError && e.status === 'NoTokens'
    && e.message.includes('no tokens left today; the limit is 8'));
const inbox = await client.inbox(alice);
assert.deepEqual(inbox.map((m) => m.text), ['paid with a token of the directory']);

// Tokens travel: taken from one client, they pay for another's send.
const stock = client.takeTokens();
assert.equal(stock.length, 7);
const other = await Client.connect(url, { allowDev: true });
other.addTokens(stock);
await other.send(alice, self, 'paid with a token from the stock');
assert.equal(other.tokensLeft, 6);

// No account and an empty stock: the error says how to get tokens.
const carol = Identity.generate('carol');
const empty = await Client.connect(url, { allowDev: true });
await assert.rejects(empty.send(carol, self, 'no account'),
  (e) => e instanceof HushError && e.status === 'NoTokens'
    && e.message.includes('verified account'));
console.log('npm package: tokens fetched from the directory, spent, limited');
