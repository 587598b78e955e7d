// Resolves a DID with third-party resolvers and prints its DID document as JSON.
//
//   node resolve.mjs <did>
//
// did:web goes through the DIF `did-resolver` with `web-did-resolver`; did:jwk through
// Digital Bazaar's `@digitalbazaar/did-method-jwk` driver, registered with the same DIF
// resolver. Nothing here builds a document itself: the glue only hands the DID to those
// libraries and prints what they return. Exit status 0 with the document on stdout, or 1
// with the resolver's error on stderr.

import { createRequire } from 'node:module';

const did = process.argv[2];
if (!did) {
  console.error('usage: node resolve.mjs <did>');
  process.exit(2);
}

// did:web names an https URL, and web-did-resolver fetches exactly that. vouch's tests run
// the server on plain http://localhost:{port}, so for localhost ONLY, the https URL is
// rewritten to http before it is fetched; every other host is fetched as the library asks.
// web-did-resolver fetches through cross-fetch, which on Node calls node-fetch (CommonJS)
// through `require('node-fetch').default`, read once when cross-fetch loads: that is wrapped
// here, before web-did-resolver (and so cross-fetch) is loaded.
const require = createRequire(import.meta.url);
const nodeFetch = createRequire(require.resolve('cross-fetch'))('node-fetch');
const realFetch = nodeFetch.default || nodeFetch;
nodeFetch.default = function localhostOverHttp(url, options) {
  if (typeof url === 'string' && url.startsWith('https://localhost:')) {
    url = 'http://' + url.slice('https://'.length);
  }
  return realFetch.call(this, url, options);
};

const { Resolver } = await import('did-resolver');
const { getResolver: getWebResolver } = await import('web-did-resolver');
const { driver: jwkDriver } = await import('@digitalbazaar/did-method-jwk');

// The did:jwk driver has the did-io interface (`get({did})` → document); this adapts it to
// the DIF resolver's method interface.
const jwk = jwkDriver();
async function resolveJwk(didToResolve) {
  try {
    const didDocument = await jwk.get({ did: didToResolve, verificationMethodType: 'JsonWebKey2020' });
    return {
      didResolutionMetadata: { contentType: 'application/did+ld+json' },
      didDocument,
      didDocumentMetadata: {},
    };
  } catch (error) {
    return {
      didResolutionMetadata: { error: 'invalidDid', message: String(error?.message ?? error) },
      didDocument: null,
      didDocumentMetadata: {},
    };
  }
}

const resolver = new Resolver({ ...getWebResolver(), jwk: resolveJwk });
const result = await resolver.resolve(did);
if (result.didResolutionMetadata?.error || !result.didDocument) {
  console.error(
    `${did} did not resolve: ${result.didResolutionMetadata?.error ?? 'no document'}` +
      (result.didResolutionMetadata?.message ? `: ${result.didResolutionMetadata.message}` : ''),
  );
  process.exit(1);
}
console.log(JSON.stringify(result.didDocument, null, 2));
