// Reads one status from a vouch status list with third-party libraries.
//
//   node read.mjs token <uri> <idx>       IETF Token Status List  -> {"status": n, "bits": n}
//   node read.mjs bitstring <uri> <idx>   W3C Bitstring Status List -> {"status": 0|1, "purpose": "..."}
//   node read.mjs selftest                offline checks (selftest.mjs)
//
// token: the status list JWT is verified with `jose` (key found by `kid` in the JWT VC Issuer
// Metadata of its `iss`), then read with the OpenWallet Foundation's `@sd-jwt/jwt-status-list`.
// bitstring: the list credential JWT is verified with `jose` (key found by `kid` in the did:web
// document resolved by DIF `did-resolver` + `web-did-resolver`), then read with Digital
// Bazaar's `@digitalbazaar/vc-bitstring-status-list` `checkStatus`. The glue below only
// fetches, picks keys and compares a few claims; the decoding is the libraries' own.
// Exit status 0 with one line of JSON on stdout, 1 with the reason on stderr, 2 on bad usage.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// did:web names an https URL and web-did-resolver fetches exactly that. vouch's tests serve
// plain http://localhost:{port}, so for localhost ONLY the https URL is rewritten to http
// before it is fetched (same hook as conformance/did/resolve.mjs: web-did-resolver fetches
// through cross-fetch, which calls `require('node-fetch').default`, wrapped here before
// web-did-resolver is loaded).
const require = createRequire(import.meta.url);
const nodeFetch = createRequire(require.resolve('cross-fetch'))('node-fetch');
const realFetch = nodeFetch.default || nodeFetch;
nodeFetch.default = function localhostOverHttp(url, options) {
  if (typeof url === 'string' && url.startsWith('https://localhost:')) {
    url = 'http://' + url.slice('https://'.length);
  }
  return realFetch.call(this, url, options);
};

const jose = await import('jose');
const { getListFromStatusListJWT } = await import('@sd-jwt/jwt-status-list');
const { checkStatus } = await import('@digitalbazaar/vc-bitstring-status-list');
const { Resolver } = await import('did-resolver');
const { getResolver: getWebResolver } = await import('web-did-resolver');

const didResolver = new Resolver(getWebResolver());

async function get(url, mediaType) {
  const res = await fetch(url, { headers: { accept: mediaType } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== mediaType) {
    throw new Error(`GET ${url}: Content-Type ${type || '(none)'}, expected ${mediaType}`);
  }
  return mediaType === 'application/json' ? res.json() : (await res.text()).trim();
}

// JWT VC Issuer Metadata location (SD-JWT VC): `/.well-known/jwt-vc-issuer` inserted between
// the host and the path of the issuer identifier.
export function jwtVcIssuerMetadataUrl(iss) {
  const url = new URL(iss);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/jwt-vc-issuer${path}`;
}

// Both libraries inflate with pako's auto-detection, which accepts zlib AND gzip alike, so the
// container format is checked here: the draft requires ZLIB (RFC 1950), Bitstring Status List
// requires GZIP (RFC 1952).
export function assertZlib(bytes) {
  const ok = bytes.length >= 2 && (bytes[0] & 0x0f) === 8 && ((bytes[0] << 8) | bytes[1]) % 31 === 0;
  if (!ok) throw new Error('status_list.lst is not ZLIB (RFC 1950) data');
}
export function assertGzip(bytes) {
  if (!(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    throw new Error('encodedList is not GZIP (RFC 1952) data');
  }
}

// The key of a JWT whose header `kid` is a DID URL: the verification method of the DID
// document (resolved with did-resolver + web-did-resolver), which must be an assertionMethod.
async function didKey(kid) {
  if (!kid?.startsWith('did:') || !kid.includes('#')) throw new Error(`kid ${kid} is not a DID URL`);
  const did = kid.slice(0, kid.indexOf('#'));
  const resolved = await didResolver.resolve(did);
  const doc = resolved.didDocument;
  if (!doc) throw new Error(`${did} did not resolve: ${resolved.didResolutionMetadata?.error}`);
  const isKid = (id) => id === kid || did + id === kid;
  const method = (doc.verificationMethod ?? []).find((m) => isKid(m.id));
  if (!method?.publicKeyJwk) throw new Error(`no publicKeyJwk for ${kid} in the DID document`);
  if (!(doc.assertionMethod ?? []).some((m) => isKid(typeof m === 'string' ? m : m.id))) {
    throw new Error(`${kid} is not an assertionMethod of ${did}`);
  }
  return { did, jwk: method.publicKeyJwk };
}

export async function readToken(uri, idx) {
  const jwt = await get(uri, 'application/statuslist+jwt');
  const { kid, alg } = jose.decodeProtectedHeader(jwt);
  const { iss } = jose.decodeJwt(jwt);
  if (!kid) throw new Error('status list JWT has no kid header');
  if (typeof iss !== 'string') throw new Error('status list JWT has no iss claim');
  // The issuer is an https URL whose key is in its JWT VC Issuer Metadata, or (vouch on a
  // plain-http public URL, where that metadata cannot be used) a DID whose key `kid` names.
  let keys;
  if (iss.startsWith('did:')) {
    const { did, jwk } = await didKey(kid);
    if (did !== iss) throw new Error(`kid ${kid} is not a key of the issuer ${iss}`);
    keys = await jose.importJWK(jwk, alg);
  } else {
    const metadata = await get(jwtVcIssuerMetadataUrl(iss), 'application/json');
    if (metadata.issuer !== iss) {
      throw new Error(`jwt-vc-issuer metadata names issuer ${metadata.issuer}, the JWT ${iss}`);
    }
    const jwks = metadata.jwks ?? (metadata.jwks_uri && (await get(metadata.jwks_uri, 'application/json')));
    if (!jwks?.keys?.some((k) => k.kid === kid)) throw new Error(`no key ${kid} in the metadata of ${iss}`);
    keys = jose.createLocalJWKSet(jwks);
  }
  // jose: signature, typ, iss, sub, exp/nbf when present.
  const { payload } = await jose.jwtVerify(jwt, keys, {
    typ: 'statuslist+jwt',
    issuer: iss,
    subject: uri,
    requiredClaims: ['iat'],
  });
  assertZlib(jose.base64url.decode(String(payload.status_list?.lst ?? '')));
  const list = getListFromStatusListJWT(jwt);
  return { status: list.getStatus(idx), bits: list.getBitsPerStatus() };
}

export async function readBitstring(uri, idx) {
  const jwt = await get(uri, 'application/vc+jwt');
  const { kid, alg } = jose.decodeProtectedHeader(jwt);
  const { did, jwk } = await didKey(kid);
  const { payload } = await jose.jwtVerify(jwt, await jose.importJWK(jwk, alg), {
    typ: 'vc+jwt',
    issuer: did,
  });
  if (payload.id !== uri) throw new Error(`list credential id ${payload.id}, fetched from ${uri}`);
  if (payload.validUntil && Date.parse(payload.validUntil) <= Date.now()) {
    throw new Error(`list credential validUntil ${payload.validUntil} has passed`);
  }
  const subject = payload.credentialSubject ?? {};
  if (typeof subject.encodedList !== 'string' || !subject.encodedList.startsWith('u')) {
    throw new Error('credentialSubject.encodedList is not a multibase base64url ("u") string');
  }
  assertGzip(jose.base64url.decode(subject.encodedList.slice(1)));
  // The library checks an entry of a credential against the list it loads: the entry is made
  // up here from the arguments; the list is the JWT payload just verified. Its own Data
  // Integrity verification is off (the list is secured as a JWT, verified above).
  const purpose = subject.statusPurpose;
  const result = await checkStatus({
    credential: {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential'],
      issuer: did,
      credentialStatus: {
        id: `${uri}#${idx}`,
        type: 'BitstringStatusListEntry',
        statusPurpose: purpose,
        statusListIndex: String(idx),
        statusListCredential: uri,
      },
    },
    documentLoader: async (url) => {
      if (url !== uri) throw new Error(`unexpected document ${url}`);
      return { document: payload };
    },
    verifyBitstringStatusListCredential: false,
    verifyMatchingIssuers: true,
  });
  if (!result.verified) throw result.error ?? new Error('checkStatus did not verify');
  return { status: result.results[0].status ? 1 : 0, purpose };
}

async function main(argv) {
  const [mode, uri, idxArg] = argv;
  if (mode === 'selftest') {
    const { selftest } = await import('./selftest.mjs');
    return process.exit((await selftest()) ? 0 : 1);
  }
  if (!['token', 'bitstring'].includes(mode) || !uri || !/^\d+$/.test(idxArg ?? '')) {
    console.error('usage: node read.mjs token|bitstring <uri> <idx>\n       node read.mjs selftest');
    process.exit(2);
  }
  try {
    const read = mode === 'token' ? readToken : readBitstring;
    console.log(JSON.stringify(await read(uri, Number(idxArg))));
  } catch (error) {
    const cause = error?.cause ? ` (${error.cause.message || error.cause.code || error.cause})` : '';
    console.error(`${mode} ${uri} [${idxArg}]: ${error?.message ?? error}${cause}`);
    process.exit(1);
  }
}

// Not awaited at top level, so selftest.mjs can import this module while main() runs.
if (import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
