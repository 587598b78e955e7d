// Offline checks of read.mjs (run as `node read.mjs selftest`): the libraries against the
// draft's own status list vectors and a hand-built bitstring, then the whole token and
// bitstring paths against a throwaway HTTP server on 127.0.0.1 that plays vouch's part with a
// fresh ES256 key. The lists are compressed with Node's zlib here, not with the libraries.

import http from 'node:http';
import zlib from 'node:zlib';
import * as jose from 'jose';
import { StatusList } from '@sd-jwt/jwt-status-list';
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import { readToken, readBitstring, assertZlib, assertGzip, jwtVcIssuerMetadataUrl } from './read.mjs';

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}: ${error?.message ?? error}`);
  }
}
function equal(actual, expected) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`got ${a}, expected ${e}`);
}
async function rejects(promise, pattern) {
  try {
    await promise;
  } catch (error) {
    if (!pattern.test(String(error?.message ?? error))) throw new Error(`wrong error: ${error?.message}`);
    return;
  }
  throw new Error(`accepted, expected an error matching ${pattern}`);
}

// draft-ietf-oauth-status-list, "Status List" examples: bytes [0xb9, 0xa3] with bits 1 and
// [0xc9, 0x44, 0xf9] with bits 2, index 0 in the least significant bits of byte 0.
const DRAFT_1BIT = { lst: 'eNrbuRgAAhcBXQ', statuses: [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1] };
const DRAFT_2BIT = { lst: 'eNo76fITAAPfAgc', statuses: [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3] };

// A W3C bitstring of 131,072 bits (the specification's minimum) with the given indexes set,
// index 0 = the most significant bit of byte 0, GZIP-compressed, multibase base64url.
function bitstring(indexes, compress = zlib.gzipSync) {
  const bytes = new Uint8Array(131072 / 8);
  for (const i of indexes) bytes[i >> 3] |= 0x80 >> (i & 7);
  return 'u' + jose.base64url.encode(compress(bytes));
}

export async function selftest() {
  await check('token: draft 1-bit example decodes with @sd-jwt/jwt-status-list', () => {
    assertZlib(jose.base64url.decode(DRAFT_1BIT.lst));
    const list = StatusList.decompressStatusList(DRAFT_1BIT.lst, 1);
    equal(DRAFT_1BIT.statuses.map((_, i) => list.getStatus(i)), DRAFT_1BIT.statuses);
  });
  await check('token: draft 2-bit example decodes with @sd-jwt/jwt-status-list', () => {
    assertZlib(jose.base64url.decode(DRAFT_2BIT.lst));
    const list = StatusList.decompressStatusList(DRAFT_2BIT.lst, 2);
    equal(DRAFT_2BIT.statuses.map((_, i) => list.getStatus(i)), DRAFT_2BIT.statuses);
  });
  await check('bitstring: one set bit reads back at its index only (MSB first)', async () => {
    const list = await decodeList({ encodedList: bitstring([0, 42]) });
    equal([0, 1, 7, 41, 42, 43, 131071].map((i) => list.getStatus(i)), [true, false, false, false, true, false, false]);
    assertGzip(jose.base64url.decode(bitstring([1]).slice(1)));
  });
  await check('jwt-vc-issuer metadata URL inserts the well-known segment', () => {
    equal(jwtVcIssuerMetadataUrl('https://h.example/t/e1'), 'https://h.example/.well-known/jwt-vc-issuer/t/e1');
    equal(jwtVcIssuerMetadataUrl('https://h.example'), 'https://h.example/.well-known/jwt-vc-issuer');
  });

  // A stand-in vouch on http://localhost:{port}, environment "env1".
  const routes = new Map();
  const server = http.createServer((req, res) => {
    const route = routes.get(req.url);
    res.writeHead(route ? 200 : 404, { 'content-type': route?.type ?? 'text/plain' });
    res.end(route?.body ?? 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${server.address().port}`;
  const issuer = `${origin}/env1`;
  const did = `did:web:localhost%3A${server.address().port}:env1`;
  const serve = (path, type, body) => {
    routes.set(path, { type, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return origin + path;
  };

  try {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const other = await jose.generateKeyPair('ES256');
    const jwk = await jose.exportJWK(publicKey);
    const thumbprint = await jose.calculateJwkThumbprint(jwk);
    serve('/.well-known/jwt-vc-issuer/env1', 'application/json', {
      issuer,
      jwks: { keys: [{ ...jwk, kid: thumbprint, alg: 'ES256', use: 'sig' }] },
    });
    const vmId = `${did}#${thumbprint}`;
    serve('/env1/did.json', 'application/json', {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: did,
      verificationMethod: [{ id: vmId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk }],
      assertionMethod: [vmId],
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (payload, header, key = privateKey) =>
      new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', ...header }).sign(key);

    // Token Status List, bits 2, the draft's 2-bit bytes.
    const lst = jose.base64url.encode(zlib.deflateSync(Uint8Array.from([0xc9, 0x44, 0xf9]), { level: 9 }));
    const tokenHeader = { typ: 'statuslist+jwt', kid: thumbprint };
    const tokenClaims = (path, extra = {}) => ({
      sub: origin + path, iss: issuer, iat: now, exp: now + 600, ttl: 300,
      status_list: { bits: 2, lst }, ...extra,
    });
    const token = async (path, extra, header = tokenHeader, key) =>
      serve(path, 'application/statuslist+jwt', await sign(tokenClaims(path, extra), header, key));

    const good = await token('/env1/statuslists/1');
    await check('token: a served list reads 1,2,0,3 at 0..3 with bits 2', async () => {
      const read = [];
      for (const i of [0, 1, 2, 3, 11]) read.push(await readToken(good, i));
      equal(read, [1, 2, 0, 3, 3].map((status) => ({ status, bits: 2 })));
    });
    await check('token: an index past the list fails', () => rejects(readToken(good, 12), /out of bounds/i));
    const wrongSub = serve('/env1/statuslists/2', 'application/statuslist+jwt', await sign(tokenClaims('/env1/statuslists/1'), tokenHeader));
    await check('token: sub other than the URI fails', () => rejects(readToken(wrongSub, 0), /"sub"/));
    const expired = await token('/env1/statuslists/expired', { iat: now - 900, exp: now - 60 });
    await check('token: an expired list fails', () => rejects(readToken(expired, 0), /"exp"/));
    const forged = await token('/env1/statuslists/forged', {}, tokenHeader, other.privateKey);
    await check('token: a list signed with another key fails', () => rejects(readToken(forged, 0), /signature/));
    const wrongTyp = await token('/env1/statuslists/typ', {}, { ...tokenHeader, typ: 'JWT' });
    await check('token: typ other than statuslist+jwt fails', () => rejects(readToken(wrongTyp, 0), /"typ"/));
    const gzipped = await token('/env1/statuslists/gzip', {
      status_list: { bits: 2, lst: jose.base64url.encode(zlib.gzipSync(Uint8Array.from([0xc9, 0x44, 0xf9]))) },
    });
    await check('token: a GZIP (not ZLIB) lst fails', () => rejects(readToken(gzipped, 0), /ZLIB/));
    const wrongType = serve('/env1/statuslists/json', 'application/json', await sign(tokenClaims('/env1/statuslists/json'), tokenHeader));
    await check('token: another Content-Type fails', () => rejects(readToken(wrongType, 0), /Content-Type/));

    // Bitstring Status List credential as a VC-JWT.
    const credential = (path, purpose, encodedList, extra = {}) => ({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: origin + path,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: did,
      validFrom: new Date(now * 1000).toISOString(),
      credentialSubject: { id: `${origin}${path}#list`, type: 'BitstringStatusList', statusPurpose: purpose, encodedList },
      iss: did, iat: now, exp: now + 600,
      ...extra,
    });
    const listJwt = async (path, purpose, encodedList, extra) =>
      serve(path, 'application/vc+jwt', await sign(credential(path, purpose, encodedList, extra), { typ: 'vc+jwt', kid: vmId }));

    const revocation = await listJwt('/env1/bitstring/revocation', 'revocation', bitstring([42]));
    const suspension = await listJwt('/env1/bitstring/suspension', 'suspension', bitstring([0]));
    await check('bitstring: a served list reads bit 42 only', async () => {
      const read = [];
      for (const i of [41, 42, 43, 0]) read.push(await readBitstring(revocation, i));
      equal(read, [0, 1, 0, 0].map((status) => ({ status, purpose: 'revocation' })));
      equal(await readBitstring(suspension, 0), { status: 1, purpose: 'suspension' });
    });
    await check('bitstring: an index past the list fails', () => rejects(readBitstring(revocation, 131072), /out of range/));
    const zlibbed = await listJwt('/env1/bitstring/zlib', 'revocation', bitstring([42], zlib.deflateSync));
    await check('bitstring: a ZLIB (not GZIP) encodedList fails', () => rejects(readBitstring(zlibbed, 42), /GZIP/));
    const noIssuer = await listJwt('/env1/bitstring/no-issuer', 'revocation', bitstring([42]), { issuer: undefined });
    await check('bitstring: a list credential without issuer fails (library)', () => rejects(readBitstring(noIssuer, 42), /Issuers/));
    const notAList = await listJwt('/env1/bitstring/type', 'revocation', bitstring([42]), { type: ['VerifiableCredential'] });
    await check('bitstring: a credential not typed BitstringStatusListCredential fails (library)', () =>
      rejects(readBitstring(notAList, 42), /BitstringStatusListCredential/));
    const elsewhere = serve('/env1/bitstring/moved', 'application/vc+jwt',
      await sign(credential('/env1/bitstring/revocation', 'revocation', bitstring([42])), { typ: 'vc+jwt', kid: vmId }));
    await check('bitstring: id other than the URI fails', () => rejects(readBitstring(elsewhere, 42), /list credential id/));
  } finally {
    server.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0;
}
