// The holder: third-party wallet code presenting credentials over OpenID4VP 1.0.
//
// - `@openid4vc/openid4vp` (OpenWallet Foundation, the holder side Credo uses),
//   `Openid4vpClient`: parses the `openid4vp://` link, fetches the request object by
//   `request_uri` (GET or POST, as `request_uri_method` says), checks the signed request
//   (typ, exp, client_id equal in link and object) and the client identifier prefix
//   (the DID of the signing key for `decentralized_identifier`, the leaf's SAN dNSName and
//   the response_uri host for `x509_san_dns`, the leaf's hash for `x509_hash`, no
//   signature and client_id = response_uri for `redirect_uri`), builds the authorization
//   response (a JWE for `direct_post.jwt`, with the key and `enc` it picks from
//   `client_metadata`) and posts it. The library leaves the crypto to callbacks; the ones
//   here do what a wallet must: JWS signatures with `jose`, the DID key found with the DIF
//   `did-resolver` + `web-did-resolver`, the x5c chain checked against a trust anchor with
//   Node's `X509Certificate`, the JWE made with `jose` `CompactEncrypt` (ECDH-ES).
// - DCQL on the wallet side: the `dcql` package (OpenWallet Foundation) matches the query
//   against the credentials held and says which claims to disclose.
// - SD-JWT VC presentations with key binding: `@sd-jwt/sd-jwt-vc` + `@sd-jwt/crypto-nodejs`.
// - JWT VP (`jwt_vc_json`): a VCDM 1.1 presentation JWT signed with `jose` by the holder's
//   did:jwk key.

import { createRequire } from 'node:module';
import { X509Certificate, createHash, randomUUID } from 'node:crypto';

import { check, CheckError, show } from '../lib/vouch.mjs';

// did:web names an https URL and web-did-resolver fetches exactly that. The interop server
// listens on plain http://localhost:{port}, so for localhost ONLY the https URL is rewritten
// to http before it is fetched (as in conformance/did/resolve.mjs): web-did-resolver goes
// through cross-fetch, which on Node calls `require('node-fetch').default`, read once when
// cross-fetch loads, so it is wrapped before web-did-resolver is loaded.
const require = createRequire(import.meta.url);
const nodeFetch = createRequire(require.resolve('cross-fetch'))('node-fetch');
const realNodeFetch = nodeFetch.default || nodeFetch;
nodeFetch.default = function localhostOverHttp(url, options) {
  if (typeof url === 'string' && url.startsWith('https://localhost:')) {
    url = 'http://' + url.slice('https://'.length);
  }
  return realNodeFetch.call(this, url, options);
};

const jose = await import('jose');
const { Openid4vpClient } = await import('@openid4vc/openid4vp');
const { setGlobalConfig } = await import('@openid4vc/oauth2');
const { DcqlQuery } = await import('dcql');
const { SDJwtVcInstance } = await import('@sd-jwt/sd-jwt-vc');
const { ES256, digest, generateSalt } = await import('@sd-jwt/crypto-nodejs');
const { Resolver } = await import('did-resolver');
const { getResolver: getWebResolver } = await import('web-did-resolver');

// The library accepts only https:// request_uri, response_uri and redirect_uri unless told
// otherwise; the interop server is http://localhost (the only host this suite talks to).
setGlobalConfig({ allowInsecureUrls: true });

const didResolver = new Resolver({ ...getWebResolver() });
const now = () => Math.floor(Date.now() / 1000);

// ---- keys -------------------------------------------------------------------------

export async function holderKey(mode) {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await jose.exportJWK(publicKey);
  const jwk = { kty, crv, x, y };
  const key = { mode, jwk, privateKey, privateJwk: await jose.exportJWK(privateKey) };
  if (mode === 'did:jwk') {
    key.did = `did:jwk:${jose.base64url.encode(JSON.stringify(jwk))}`;
    key.kid = `${key.did}#0`;
    key.proofHeader = { kid: key.kid };
  } else {
    key.proofHeader = { jwk };
  }
  return key;
}

// ---- the crypto callbacks the library asks for -------------------------------------

// The public JWK of a DID URL, from the DID document (did:web over did-resolver).
async function didUrlKey(didUrl) {
  const [did] = didUrl.split('#');
  const resolution = await didResolver.resolve(did);
  check(!resolution.didResolutionMetadata?.error && resolution.didDocument,
    `${did} did not resolve: ${show(resolution.didResolutionMetadata)}`);
  const doc = resolution.didDocument;
  const absolute = (id) => (id.startsWith('#') ? `${doc.id}${id}` : id);
  const vm = (doc.verificationMethod ?? []).find((m) => absolute(m.id) === didUrl);
  check(vm?.publicKeyJwk, `no verification method ${didUrl} with publicKeyJwk in the DID document of ${did}`);
  return vm.publicKeyJwk;
}

const pemCertificates = (pem) =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));

// A distinguished name on one line (Node gives one attribute per line).
const dn = (name) => name.replace(/\n/g, ', ');

function within(cert, at = new Date()) {
  return new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
}

// RFC 5280 path validation as far as a wallet needs it here: each certificate of x5c is
// signed by the next, the last by a trust anchor, all within their validity, every issuer a
// CA; the anchor itself is not in x5c (OpenID4VP 1.0 §5.9.3) and the leaf is not
// self-signed. Returns the leaf.
function verifyX5c(x5c, anchors) {
  check(Array.isArray(x5c) && x5c.length > 0, 'x5c is empty');
  check(anchors.length > 0, 'the wallet has no X.509 trust anchor (GET /oid4vp/x509/chain.pem gave none)');
  const chain = x5c.map((b64) => new X509Certificate(Buffer.from(b64, 'base64')));
  const leaf = chain[0];
  check(!(leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey)), `the x5c leaf ${dn(leaf.subject)} is self-signed`);
  check(!leaf.ca, `the x5c leaf ${dn(leaf.subject)} is a CA certificate`);
  for (const c of chain) {
    check(within(c), `certificate ${dn(c.subject)} is not valid now (${c.validFrom} – ${c.validTo})`);
    check(!anchors.some((a) => a.raw.equals(c.raw)), `x5c contains the trust anchor ${dn(c.subject)}`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const [c, issuer] = [chain[i], chain[i + 1]];
    check(issuer.ca && c.checkIssued(issuer) && c.verify(issuer.publicKey),
      `x5c[${i}] ${dn(c.subject)} is not issued and signed by x5c[${i + 1}] ${dn(issuer.subject)} (a CA)`);
  }
  const top = chain[chain.length - 1];
  const anchor = anchors.find((a) => top.checkIssued(a) && top.verify(a.publicKey));
  check(anchor, `x5c ends at ${dn(top.subject)} (issuer ${dn(top.issuer)}), not signed by a trust anchor (${anchors.map((a) => dn(a.subject)).join('; ')})`);
  check(anchor.ca && within(anchor), `the trust anchor ${dn(anchor.subject)} is not a CA valid now`);
  return leaf;
}

function sanNames(certificateB64) {
  const cert = new X509Certificate(Buffer.from(certificateB64, 'base64'));
  const names = (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  const unquote = (s) => (s.startsWith('"') ? JSON.parse(s) : s);
  return {
    sanDnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => unquote(n.slice(4))),
    sanUriNames: names.filter((n) => n.startsWith('URI:')).map((n) => unquote(n.slice(4))),
  };
}

export class Wallet {
  constructor() {
    this.trustAnchors = [];
    this.requests = []; // every HTTP request the library made: {method, url, body}
    const wallet = this;
    this.callbacks = {
      fetch: async (url, init = {}) => {
        const body = init.body === undefined ? undefined : String(init.body);
        wallet.requests.push({ method: (init.method ?? 'GET').toUpperCase(), url: String(url), body });
        return fetch(url, init);
      },
      hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
      generateRandom: (n) => crypto.getRandomValues(new Uint8Array(n)),
      verifyJwt: async (signer, { header, compact }) => {
        let publicKey;
        let signerJwk;
        if (signer.method === 'did') {
          signerJwk = await didUrlKey(signer.didUrl);
          publicKey = await jose.importJWK(signerJwk, header.alg);
        } else if (signer.method === 'x5c') {
          const leaf = verifyX5c(signer.x5c, wallet.trustAnchors);
          publicKey = leaf.publicKey;
          signerJwk = await jose.exportJWK(leaf.publicKey);
        } else {
          throw new Error(`this wallet verifies did and x5c signers only, not ${signer.method}`);
        }
        await jose.compactVerify(compact, publicKey, { algorithms: [header.alg] });
        return { verified: true, signerJwk };
      },
      getX509CertificateMetadata: sanNames,
      encryptJwe: async (encryptor, data) => {
        check(encryptor.method === 'jwk', `encryptor method ${encryptor.method}`);
        const jwk = encryptor.publicJwk;
        const header = { alg: encryptor.alg, enc: encryptor.enc };
        if (jwk.kid) header.kid = jwk.kid;
        const jwe = new jose.CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header);
        const params = {};
        if (encryptor.apu) params.apu = jose.base64url.decode(encryptor.apu);
        if (encryptor.apv) params.apv = jose.base64url.decode(encryptor.apv);
        if (Object.keys(params).length) jwe.setKeyManagementParameters(params);
        return { jwe: await jwe.encrypt(await jose.importJWK(jwk, encryptor.alg)), encryptionJwk: jwk };
      },
      decryptJwe: async () => {
        throw new Error('this wallet does not take encrypted request objects');
      },
      signJwt: async () => {
        throw new Error('this wallet does not sign authorization responses');
      },
    };
    this.client = new Openid4vpClient({ callbacks: this.callbacks });
  }

  trust(pem) {
    const certs = pemCertificates(pem);
    check(certs.length > 0, 'no certificate in the PEM chain');
    this.trustAnchors = [certs[certs.length - 1]];
    return certs;
  }

  // Opens an `openid4vp://` link: the library parses it and resolves the request (fetching
  // and verifying the request object when it is by reference). `expectedNonce` checks a
  // request object fetched elsewhere (`request` given) echoes it.
  async open(link, { request, expectedNonce } = {}) {
    const parsed = this.client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: link });
    let params = parsed.params;
    if (request) {
      const { request_uri, request_uri_method, ...rest } = params;
      params = { ...rest, request };
    }
    const before = this.requests.length;
    const resolved = await this.client.resolveOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: params,
      ...(expectedNonce && { wallet: { expectedNonce } }),
    });
    return { parsed, resolved, fetches: this.requests.slice(before) };
  }

  // The presentation for the credential query the wallet's credential answers, built by the
  // libraries; `tweak` changes what the holder signs (negative cases).
  async answer(resolved, held, tweak = {}) {
    const payload = resolved.authorizationRequestPayload;
    const query = DcqlQuery.parse(resolved.dcql.query);
    DcqlQuery.validate(query);
    const result = DcqlQuery.query(query, [held.dcql]);
    check(result.can_be_satisfied, `dcql: the query cannot be satisfied by the held ${held.format} credential: ${show(result.credential_matches)}`);
    const ids = selectedQueryIds(query, result);
    check(ids.length === 1, `dcql selected ${show(ids)}; this wallet presents one credential`);
    const [queryId] = ids;
    const match = result.credential_matches[queryId];
    const claims = match.valid_credentials[0].claims.valid_claim_sets[0].output;
    const aud = tweak.aud ?? resolved.client.effective;
    const nonce = tweak.nonce ?? payload.nonce;
    const iat = tweak.iat ?? now();
    const presentation = held.format === 'dc+sd-jwt'
      ? await presentSdJwt(held, claims, { aud, nonce, iat }, tweak)
      : await presentJwtVc(held, { aud, nonce, iat });
    return { queryId, claims, presentation, vp_token: { [queryId]: [presentation] } };
  }

  // Creates the authorization response with the library (direct_post form, or a JWE for
  // direct_post.jwt) and submits it. Returns the HTTP answer and what was sent.
  // `enc` is the wallet's preferred content encryption: the library takes the first of
  // the wallet's values that client_metadata.encrypted_response_enc_values_supported has.
  async respond(resolved, vp_token, { enc = 'A128GCM' } = {}) {
    const payload = resolved.authorizationRequestPayload;
    const jarm = payload.response_mode === 'direct_post.jwt'
      ? {
          // No `nonce` here: the library would send it as `apu` (an mdoc-generated nonce);
          // it always sets `apv` to the request's nonce.
          encryption: {},
          serverMetadata: {
            authorization_encryption_alg_values_supported: ['ECDH-ES'],
            authorization_encryption_enc_values_supported: [enc, ...['A128GCM', 'A256GCM'].filter((e) => e !== enc)],
          },
        }
      : undefined;
    const created = await this.client.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: payload,
      authorizationResponsePayload: { vp_token },
      jarm,
    });
    return this.submit(payload, created);
  }

  async submit(payload, created) {
    const { response } = await this.client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: payload,
      authorizationResponsePayload: created.authorizationResponsePayload,
      jarm: created.jarm,
    });
    const text = await response.text();
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, body, created };
  }
}

// The credential query ids a wallet answers: for each credential set the first option
// whose queries all matched (all credential queries when there are no sets).
function selectedQueryIds(query, result) {
  if (!query.credential_sets) return query.credentials.map((c) => c.id);
  const ids = [];
  for (const set of query.credential_sets) {
    const option = set.options.find((o) => o.every((id) => result.credential_matches[id]?.success));
    if (option) ids.push(...option);
    else check(set.required === false, `dcql: no option of a required credential set matched: ${show(set.options)}`);
  }
  return ids;
}

// A presentation frame for @sd-jwt from the claims dcql selected.
function frameOf(claims) {
  const frame = {};
  for (const [k, v] of Object.entries(claims ?? {})) {
    frame[k] = v && typeof v === 'object' && !Array.isArray(v) ? frameOf(v) : true;
  }
  return frame;
}

async function sdjwtInstance(key) {
  return new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(key.privateJwk),
    kbSignAlg: 'ES256',
  });
}

// ---- held credentials ---------------------------------------------------------------

export async function holdSdJwt(credential, key) {
  const sdjwt = await sdjwtInstance(key);
  const claims = await sdjwt.getClaims(credential);
  return {
    format: 'dc+sd-jwt',
    credential,
    key,
    claims,
    dcql: { credential_format: 'dc+sd-jwt', vct: claims.vct, claims, cryptographic_holder_binding: true },
  };
}

export function holdJwtVc(credential, key) {
  const payload = jose.decodeJwt(credential);
  const vc = payload.vc;
  return {
    format: 'jwt_vc_json',
    credential,
    key,
    claims: vc,
    dcql: { credential_format: 'jwt_vc_json', type: vc.type, claims: vc, cryptographic_holder_binding: true },
  };
}

// ---- presentations -----------------------------------------------------------------

async function presentSdJwt(held, claims, kb, tweak) {
  const sdjwt = await sdjwtInstance(held.key);
  const frame = frameOf(claims);
  if (!tweak.tamperDisclosure) {
    // The library selects the disclosures and signs the key-binding JWT (typ kb+jwt,
    // sd_hash over the presentation).
    return sdjwt.present(held.credential, frame, { kb: { payload: kb } });
  }
  // Tampered disclosure: @sd-jwt cannot be made to present a disclosure whose digest is
  // not in the credential (it selects disclosures by digest), so the presentation is made
  // by the library WITHOUT key binding, one disclosure's value is changed, and the
  // key-binding JWT is then signed with jose over the tampered presentation exactly as
  // the library does (typ kb+jwt, sd_hash = base64url(SHA-256(presentation))).
  const plain = await sdjwt.present(held.credential, frame);
  const parts = plain.split('~');
  const decode = (d) => JSON.parse(new TextDecoder().decode(jose.base64url.decode(d)));
  const at = parts.findIndex((p, i) => i > 0 && p && decode(p)[1] === tweak.tamperDisclosure);
  check(at > 0, `no disclosure of ${tweak.tamperDisclosure} in the presentation`);
  const [salt, name, value] = decode(parts[at]);
  parts[at] = jose.base64url.encode(JSON.stringify([salt, name, `${value} (tampered)`]));
  const tampered = parts.join('~');
  const sdHash = jose.base64url.encode(createHash('sha256').update(tampered).digest());
  const kbJwt = await new jose.SignJWT({ ...kb, sd_hash: sdHash })
    .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
    .sign(held.key.privateKey);
  return `${tampered}${kbJwt}`;
}

// VCDM 1.1 presentation as a JWT (VC-JWT §6.3.1 / OpenID4VP 1.0 Appendix B.1.3.1):
// iss = holder DID, aud = client_id, nonce, iat, vp.holder, vp.verifiableCredential.
async function presentJwtVc(held, { aud, nonce, iat }) {
  const { did, kid, privateKey } = held.key;
  check(did, 'a JWT VP needs a did:jwk holder key');
  return new jose.SignJWT({
    iss: did,
    aud,
    nonce,
    iat,
    jti: `urn:uuid:${randomUUID()}`,
    vp: {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      type: ['VerifiablePresentation'],
      holder: did,
      verifiableCredential: [held.credential],
    },
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
    .sign(privateKey);
}

export { CheckError };
