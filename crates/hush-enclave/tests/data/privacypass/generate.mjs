// Issues Privacy Pass tokens (RFC 9578, type 2: blind RSA 2048,
// RSABSSA-SHA384-PSS-Deterministic) with Cloudflare's independent
// implementation, @cloudflare/privacypass-ts (Apache-2.0), for hush's
// interoperability test (crates/hush-enclave/src/services/tokens/tests.rs).
// hush wrote none of this issuer: the test shows the enclave accepts what
// another implementation issues, rather than what hush's own client makes.
//
//   cd crates/hush-enclave/tests/data/privacypass
//   npm install --no-save @cloudflare/privacypass-ts@0.8.1
//   node generate.mjs > cloudflare-tokens.json
//
// Writes: the issuer's public key (DER SPKI, RSASSA-PSS OID, base64), its
// name, the origin, and tokens for the challenge hush expects (token type
// 2, that issuer name, an empty redemption context, that origin).
import { publicVerif, TokenChallenge, TOKEN_TYPES } from '@cloudflare/privacypass-ts';

const { Client, Issuer, BlindRSAMode, getPublicKeyBytes } = publicVerif;
const ISSUER_NAME = 'issuer.hush.test';
const ORIGIN = 'hush';
const TOKENS = 4;

const b64 = (bytes) => Buffer.from(bytes).toString('base64');

const keys = await Issuer.generateKey(BlindRSAMode.PSS, {
  modulusLength: 2048,
  publicExponent: Uint8Array.from([1, 0, 1]),
});
const issuer = new Issuer(BlindRSAMode.PSS, ISSUER_NAME, keys.privateKey, keys.publicKey);
const publicKey = await getPublicKeyBytes(keys.publicKey);
const challenge = new TokenChallenge(
  TOKEN_TYPES.BLIND_RSA.value,
  ISSUER_NAME,
  new Uint8Array(0),
  [ORIGIN],
);

const tokens = [];
for (let i = 0; i < TOKENS; i++) {
  const client = new Client(BlindRSAMode.PSS);
  const request = await client.createTokenRequest(challenge, publicKey);
  const response = await issuer.issue(request);
  const token = await client.finalize(response);
  if (!(await issuer.verify(token))) throw new Error('the issuer rejects its own token');
  tokens.push(b64(token.serialize()));
}

// A second key of the same issuer (a rotation), with one token.
const next = await Issuer.generateKey(BlindRSAMode.PSS, {
  modulusLength: 2048,
  publicExponent: Uint8Array.from([1, 0, 1]),
});
const nextIssuer = new Issuer(BlindRSAMode.PSS, ISSUER_NAME, next.privateKey, next.publicKey);
const nextClient = new Client(BlindRSAMode.PSS);
const nextPublic = await getPublicKeyBytes(next.publicKey);
const nextToken = await nextClient.finalize(
  await nextIssuer.issue(await nextClient.createTokenRequest(challenge, nextPublic)),
);

console.log(JSON.stringify({
  source: '@cloudflare/privacypass-ts 0.8.1 (Apache-2.0), generate.mjs in this folder',
  issuer_name: ISSUER_NAME,
  origin: ORIGIN,
  challenge: b64(challenge.serialize()),
  public_key: b64(publicKey),
  tokens,
  rotated_public_key: b64(nextPublic),
  rotated_tokens: [b64(nextToken.serialize())],
}, null, 2));
