// OpenID4VCI wallet interop: a third-party wallet library against a running vouch, and
// what it receives checked by third-party verifiers.
//
//   node run.mjs --base http://localhost:8080 --env <environment id> \
//                --client-id <admin client id> --client-secret <secret>
//
// (or VOUCH_INTEROP_BASE, VOUCH_INTEROP_ENV, VOUCH_INTEROP_CLIENT_ID,
// VOUCH_INTEROP_CLIENT_SECRET). Prints one line per case, PASS or FAIL with the reason, and
// exits 1 if any case failed.
//
// Who does what:
// - The management API (admin token, credential types, users, user credentials, then the
//   ISSUED status and provisioned credentials) is called with plain fetch: it is vouch's own
//   API, not a protocol under test.
// - The wallet is Sphereon's `@sphereon/oid4vci-client` (OpenID4VCIClientV1_0_15): it parses
//   the offer (by reference or by value), discovers the metadata, asks for the token (with
//   the transaction code as its `pin`), fetches nonces, builds the proof JWT and the
//   credential request, and sends the notification. The glue only signs the proof JWT the
//   library hands it, with a `jose` ES256 key made per run, named by a `jwk` header or a
//   `did:jwk` `kid`.
// - SD-JWT VCs are verified with `@sd-jwt/sd-jwt-vc` and `@sd-jwt/crypto-nodejs`, the
//   issuer key found in `/.well-known/jwt-vc-issuer/...` by the header `kid`; the holder
//   binding is checked by a key-binding presentation made and verified by the same library.
// - JWT VCs are verified with `jose` (`jwtVerify`), the issuer key found in the issuer's
//   did:web document, resolved by the DIF `did-resolver` with `web-did-resolver`.
//
// Nothing is loosened to make a case pass: a library's error is printed as it came.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { interopOptions } from '../lib/cases.mjs';
import { CheckError, check, expectStatus, http, show } from '../lib/vouch.mjs';

// did:web names an https URL and web-did-resolver fetches exactly that. The interop
// server listens on plain http://localhost:{port}, so for localhost ONLY the https URL is
// rewritten to http before it is fetched (same trick as conformance/did/resolve.mjs):
// web-did-resolver goes through cross-fetch, which on Node calls node-fetch through
// `require('node-fetch').default`, read once when cross-fetch loads, so it is wrapped here
// before web-did-resolver is loaded.
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
const {
  OpenID4VCIClientV1_0_15,
  AccessTokenClient,
  CredentialRequestClientBuilderV1_0_15,
  ProofOfPossessionBuilder,
} = await import('@sphereon/oid4vci-client');
const { SDJwtVcInstance } = await import('@sd-jwt/sd-jwt-vc');
const { ES256, digest, generateSalt } = await import('@sd-jwt/crypto-nodejs');
const { Resolver } = await import('did-resolver');
const { verifyCredential } = await import('did-jwt-vc');
const { getResolver: getWebResolver } = await import('web-did-resolver');

// ---- arguments ---------------------------------------------------------------------

const opts = interopOptions();
const BASE = opts.base.replace(/\/+$/, '');
const ENV = opts.env;
const ISSUER = `${BASE}/${ENV}`;
const API = `${BASE}/v1/environments/${ENV}`;
const LABEL = opts.label ? `[${opts.label}] ` : '';
// did:web of the environment: host (port colon percent-encoded) then the path segments.
const ISSUER_DID = `did:web:${new URL(BASE).host.replace(':', '%3A')}:${ENV}`;

// ---- small helpers -----------------------------------------------------------------

function same(actual, expected) {
  return JSON.stringify(canonical(actual)) === JSON.stringify(canonical(expected));
}
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  }
  return v;
}
// ---- management API (vouch's own, plain fetch) --------------------------------------

let adminToken;
async function admin(method, path, json) {
  return http(method, `${API}${path}`, { token: adminToken, json });
}

async function getAdminToken() {
  const body = await expectStatus(
    http('POST', `${BASE}/${ENV}/as/token`, {
      basic: [opts['client-id'], opts['client-secret']],
      form: { grant_type: 'client_credentials' },
    }),
    200,
    'admin token',
  );
  check(typeof body?.access_token === 'string', `admin token response has no access_token: ${show(body)}`);
  return body.access_token;
}

const FIELDS = [
  { id: 'a', type: 'Alphanumeric Text', title: 'Policy ID', isVisible: true, required: true },
  { id: 'b', type: 'Alphanumeric Text', title: 'Holder name', isVisible: true },
];

async function createType(title, txCode) {
  const body = {
    title,
    description: 'OpenID4VCI wallet interop',
    cardDesignTemplate: '<svg xmlns="http://www.w3.org/2000/svg"><text>${cardTitle}</text></svg>',
    management: { mode: 'MANAGED' },
    metadata: { fields: FIELDS },
  };
  if (txCode) body.issuance = { txCode: { inputMode: 'numeric', length: 6, description: 'Sent by SMS' } };
  return expectStatus(admin('POST', '/credentialTypes', body), 201, `create credential type ${title}`);
}

async function createUserCredential(userId, typeId, data) {
  return expectStatus(
    admin('POST', `/users/${userId}/credentials`, { credentialType: { id: typeId }, data }),
    201,
    'create user credential',
  );
}

// ---- the wallet's keys and proof signing -------------------------------------------

async function walletKey(mode) {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await jose.exportJWK(publicKey);
  const jwk = { kty, crv, x, y };
  const key = { mode, jwk, privateKey, thumbprint: await jose.calculateJwkThumbprint(jwk, 'sha256') };
  if (mode === 'did:jwk') {
    // did:jwk: "did:jwk:" + base64url(UTF-8 JSON of the public JWK); the key is "#0".
    key.did = `did:jwk:${jose.base64url.encode(JSON.stringify(jwk))}`;
    key.kid = `${key.did}#0`;
    key.subject = key.did;
  } else {
    key.subject = `urn:ietf:params:oauth:jwk-thumbprint:sha-256:${key.thumbprint}`;
  }
  key.privateJwk = await jose.exportJWK(privateKey);
  return key;
}

// The library's signCallback: it hands over the header and payload it built; this only
// signs them, unchanged unless a negative case asks to tamper.
function proofCallbacks(key, { tamper, record } = {}) {
  return {
    signCallback: async ({ header, payload }) => {
      const p = tamper ? tamper({ ...payload }) : payload;
      const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(p)))
        .setProtectedHeader(header)
        .sign(key.privateKey);
      if (record) record.push({ jwt, header, payload: p });
      return jwt;
    },
  };
}

function keyArgs(key) {
  return key.mode === 'jwk' ? { jwk: key.jwk } : { kid: key.kid };
}

// ---- verification (third-party code only) ------------------------------------------

const didResolver = new Resolver({ ...getWebResolver() });

// The public JWK of `kid`, a DID URL of the issuer's did:web, from the DID document
// resolved by did-resolver + web-did-resolver; it must be an assertionMethod.
async function assertionKey(kid) {
  check(typeof kid === 'string' && kid.startsWith(`${ISSUER_DID}#`),
    `kid ${show(kid)} is not a DID URL of ${ISSUER_DID}`);
  const resolution = await didResolver.resolve(ISSUER_DID);
  check(!resolution.didResolutionMetadata?.error && resolution.didDocument,
    `did:web ${ISSUER_DID} did not resolve: ${show(resolution.didResolutionMetadata)}`);
  const doc = resolution.didDocument;
  const absolute = (id) => (id.startsWith('#') ? `${doc.id}${id}` : id);
  const vm = (doc.verificationMethod ?? []).find((m) => absolute(m.id) === kid);
  check(vm?.publicKeyJwk, `no verification method ${kid} with publicKeyJwk in the DID document`);
  const assertion = (doc.assertionMethod ?? []).map((m) => absolute(typeof m === 'string' ? m : m.id));
  check(assertion.includes(kid), `${kid} is not an assertionMethod of ${ISSUER_DID}`);
  return vm.publicKeyJwk;
}

async function verifySdJwtVc(credential, { typeId, data, key }) {
  const issuerJwt = credential.split('~')[0];
  const header = jose.decodeProtectedHeader(issuerJwt);
  const claims = jose.decodeJwt(issuerJwt);
  check(header.typ === 'dc+sd-jwt', `SD-JWT VC header typ is ${show(header.typ)}, expected "dc+sd-jwt"`);
  check(typeof header.kid === 'string', `SD-JWT VC header has no kid: ${show(header)}`);
  // SD-JWT VC §3.5: the issuer key is in the JWT VC issuer metadata of an https `iss`. On a
  // plain-http public URL (as here, on localhost) that metadata cannot be used, so vouch
  // names the environment's did:web as `iss` and the key by a DID URL `kid`.
  let issuerKey;
  if (new URL(BASE).protocol === 'https:') {
    check(claims.iss === ISSUER, `SD-JWT VC iss is ${show(claims.iss)}, expected ${ISSUER}`);
    const iss = new URL(claims.iss);
    const metadataUrl = `${iss.origin}/.well-known/jwt-vc-issuer${iss.pathname.replace(/\/$/, '')}`;
    const metadata = await expectStatus(http('GET', metadataUrl), 200, `GET ${metadataUrl}`);
    check(metadata.issuer === claims.iss, `jwt-vc-issuer metadata issuer ${show(metadata.issuer)} != iss ${claims.iss}`);
    issuerKey = metadata.jwks?.keys?.find((k) => k.kid === header.kid);
    check(issuerKey, `no key with kid ${header.kid} in ${metadataUrl}: ${show(metadata.jwks)}`);
  } else {
    check(claims.iss === ISSUER_DID, `SD-JWT VC iss is ${show(claims.iss)}, expected ${ISSUER_DID} (http public URL)`);
    issuerKey = await assertionKey(header.kid);
  }
  check(header.alg === 'ES256', `SD-JWT VC alg ${header.alg}: this check verifies ES256 only`);

  const holderSigner = await ES256.getSigner(key.privateJwk);
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    verifier: await ES256.getVerifier(issuerKey),
    // Key binding is verified with the key in the credential's cnf.jwk, as a verifier would.
    kbVerifier: async (signed, signature, payload) => {
      if (!payload?.cnf?.jwk) throw new Error('the SD-JWT VC has no cnf.jwk');
      return (await ES256.getVerifier(payload.cnf.jwk))(signed, signature);
    },
    kbSigner: holderSigner,
    kbSignAlg: 'ES256',
    // Fetch and schema-check the type metadata at the vct URL.
    loadTypeMetadataFormat: true,
  });
  const titles = FIELDS.map((f) => f.title);
  const verified = await sdjwt.verify(credential, { requiredClaimKeys: titles });
  const p = verified.payload;
  const expectedVct = `${ISSUER}/types/${typeId}`;
  check(p.vct === expectedVct, `vct is ${show(p.vct)}, expected ${expectedVct}`);
  check(verified.typeMetadata?.mergedTypeMetadata?.vct === expectedVct,
    `type metadata at the vct URL names vct ${show(verified.typeMetadata?.mergedTypeMetadata?.vct)}`);
  for (const [name, value] of Object.entries(data)) {
    check(same(p[name], value), `disclosed ${show(name)} is ${show(p[name])}, expected ${show(value)}`);
  }
  const extra = Object.keys(p).filter(
    (k) => !titles.includes(k) && !['iss', 'iat', 'exp', 'nbf', 'vct', 'cnf', 'status', 'sub', '_sd_alg', 'vct#integrity'].includes(k),
  );
  check(extra.length === 0, `unexpected claims in the SD-JWT VC: ${extra.join(', ')}`);
  check(same(p.cnf?.jwk, key.jwk), `cnf.jwk ${show(p.cnf?.jwk)} is not the wallet's proof key ${show(key.jwk)}`);
  // Every field must be selectively disclosable: the library lists them as presentable.
  const presentable = await sdjwt.presentableKeys(credential);
  for (const t of titles) check(presentable.includes(t), `${show(t)} is not selectively disclosable (presentable: ${show(presentable)})`);

  // Holder binding: present only "Policy ID" with a key-binding JWT signed by the wallet
  // key, and verify that presentation (nonce, sd_hash, cnf.jwk signature).
  const nonce = randomBytes(12).toString('base64url');
  const presented = await sdjwt.present(credential, { 'Policy ID': true }, {
    kb: { payload: { aud: 'https://verifier.example', iat: Math.floor(Date.now() / 1000), nonce } },
  });
  const shown = await sdjwt.verify(presented, { keyBindingNonce: nonce, requiredClaimKeys: ['Policy ID'] });
  check(shown.kb?.payload?.nonce === nonce, 'the key-binding JWT did not verify');
  check(same(shown.payload['Policy ID'], data['Policy ID']) && !('Holder name' in shown.payload),
    `selective presentation disclosed ${show(Object.keys(shown.payload))}`);
  return `vct ok, ${titles.length} disclosures, cnf.jwk = proof key, KB presentation verified`;
}

async function verifyJwtVc(credential, { data, key, w3cTypes }) {
  const problems = [];
  const header = jose.decodeProtectedHeader(credential);
  const unverified = jose.decodeJwt(credential);
  check(unverified.iss === ISSUER_DID, `JWT VC iss is ${show(unverified.iss)}, expected ${ISSUER_DID}`);
  check(typeof header.kid === 'string' && header.kid.startsWith(`${ISSUER_DID}#`),
    `JWT VC header kid ${show(header.kid)} is not a DID URL of ${ISSUER_DID}`);
  // 1. jose: the signature with the key the header kid names, iss and sub.
  const issuerKey = await jose.importJWK(await assertionKey(header.kid), header.alg);
  const { payload } = await jose.jwtVerify(credential, issuerKey, {
    issuer: ISSUER_DID,
    subject: key.subject,
  });
  // 2. DIF did-jwt-vc: the VC-JWT encoding rules (VCDM 1.1 §6.3.1), its own did:web
  //    resolution and key selection for assertionMethod, and the credential it decodes
  //    (credentialSubject.id restored from sub, issuanceDate from nbf, ...).
  let normalized;
  try {
    const verified = await verifyCredential(credential, didResolver, { proofPurpose: 'assertionMethod' });
    normalized = verified.verifiableCredential;
  } catch (e) {
    problems.push(`did-jwt-vc verifyCredential: ${e.message}`);
  }
  const vc = payload.vc;
  check(vc && typeof vc === 'object', `JWT VC has no vc claim: ${show(payload)}`);
  if (normalized) {
    if (!same(normalized.type, w3cTypes)) problems.push(`type is ${show(normalized.type)}, expected ${show(w3cTypes)} (credential_definition.type)`);
    const { id, ...fields } = normalized.credentialSubject ?? {};
    if (id !== key.subject) problems.push(`credentialSubject.id is ${show(id)}, expected ${key.subject}`);
    if (!same(fields, data)) problems.push(`credentialSubject ${show(fields)} != user credential data ${show(data)}`);
    if (normalized.issuer?.id !== ISSUER_DID) problems.push(`issuer is ${show(normalized.issuer)}`);
  }
  // 3. Own reading of VCDM 1.1 §4.1: "The value of the @context property MUST be an
  //    ordered set where the first item is ... https://www.w3.org/2018/credentials/v1"
  //    (and "Subsequent items in the array ..."): a JSON array.
  if (!(Array.isArray(vc['@context']) && vc['@context'][0] === 'https://www.w3.org/2018/credentials/v1')) {
    problems.push(`vc.@context is ${show(vc['@context'])}, not an array starting with the VCDM 1.1 base context (VCDM 1.1 §4.1)`);
  }
  check(problems.length === 0, problems.join('; '));
  return `jose jwtVerify + did-jwt-vc verifyCredential ok via did:web, sub = ${key.mode === 'jwk' ? 'jwk thumbprint URI' : 'holder did:jwk'}`;
}

// ---- one wallet run ----------------------------------------------------------------

const FORMATS = {
  sd_jwt: { format: 'dc+sd-jwt', suffix: 'sd_jwt' },
  jwt_vc: { format: 'jwt_vc_json', suffix: 'jwt_vc' },
};

// Management-side checks after a successful issuance.
async function checkIssued(userId, uc, configId, format, { accepted }) {
  const now = await expectStatus(admin('GET', `/users/${userId}/credentials/${uc.id}`), 200, 'GET user credential');
  check(now.status === 'ISSUED', `user credential status is ${now.status}, expected ISSUED`);
  const list = await expectStatus(
    admin('GET', `/users/${userId}/credentials/${uc.id}/provisionedCredentials`),
    200,
    'GET provisionedCredentials',
  );
  const items = list?._embedded?.provisionedCredentials ?? [];
  check(items.length === 1, `${items.length} provisioned credentials recorded, expected 1: ${show(list)}`);
  const [pc] = items;
  check(pc.format === format && pc.credentialConfigurationId === configId && pc.status === 'ACTIVE',
    `provisioned credential is ${show({ format: pc.format, config: pc.credentialConfigurationId, status: pc.status })}`);
  if (accepted) {
    check((pc.walletActions ?? []).some((a) => a.type === 'CREDENTIAL_ACCEPTED'),
      `the notification was not recorded: walletActions ${show(pc.walletActions)}`);
  }
}

let counter = 0;
async function walletRun(c, ctx, slot) {
  const { formatKey, byValue, withTx, keyMode, nonceFrom } = c;
  const { format, suffix } = FORMATS[formatKey];
  const type = withTx ? ctx.txType : ctx.plainType;
  const configId = `${type.id}.${suffix}`;
  counter += 1;
  const data = { 'Policy ID': `P-${counter}-${randomBytes(3).toString('hex')}`, 'Holder name': 'Zoë Ångström-Nakamura' };
  const uc = await createUserCredential(ctx.user.id, type.id, data);
  const uri = byValue ? uc._links?.credentialOfferByValue?.href : uc._links?.credentialOffer?.href;
  check(uri, `the user credential has no ${byValue ? 'credentialOfferByValue' : 'credentialOffer'} link: ${show(uc._links)}`);
  const txCode = uc.offer?.txCode;
  check(withTx ? /^\d{6}$/.test(txCode ?? '') : txCode === undefined,
    `offer.txCode is ${show(txCode)} (type ${withTx ? 'with' : 'without'} a transaction code)`);

  const key = await walletKey(keyMode);
  const client = await OpenID4VCIClientV1_0_15.fromURI({ uri, retrieveServerMetadata: true });
  const offered = client.getCredentialOfferConfigurationIds();
  check(offered.includes(configId), `offer names ${show(offered)}, not ${configId}`);
  check(client.credentialOffer.userPinRequired === withTx,
    `library reads userPinRequired=${client.credentialOffer.userPinRequired}`);
  const supported = client.endpointMetadata.credentialIssuerMetadata.credential_configurations_supported?.[configId];
  check(supported?.format === format, `metadata for ${configId}: ${show(supported)}`);

  Object.assign(slot, { uri, client, key, configId, format, uc });
  const token = await client.acquireAccessToken(withTx ? { pin: txCode } : {});
  check(token.token_type === 'Bearer', `token_type ${show(token.token_type)}`);
  if (nonceFrom === 'nonce endpoint') {
    // Replace the token response's c_nonce by one from the nonce endpoint.
    const fresh = await client.acquireNonce();
    check(typeof fresh === 'string' && fresh !== token.c_nonce, 'nonce endpoint gave no fresh c_nonce');
  }
  const proofs = [];
  slot.proofs = proofs;
  const response = await client.acquireCredentials({
    credentialConfigurationId: configId,
    format,
    alg: 'ES256',
    proofCallbacks: proofCallbacks(key, { record: proofs }),
    ...keyArgs(key),
  });
  check(proofs.length === 1, `the library signed ${proofs.length} proofs`);
  const proofHeader = proofs[0].header;
  check(key.mode === 'jwk' ? same(proofHeader.jwk, key.jwk) && !proofHeader.kid : proofHeader.kid === key.kid && !proofHeader.jwk,
    `proof header ${show(proofHeader)} does not name the wallet key as ${key.mode}`);
  const credentials = response.credentials ?? [];
  check(credentials.length === 1 && typeof credentials[0].credential === 'string',
    `credential response has ${show(Object.keys(response))}, credentials ${show(credentials)}`);
  const credential = credentials[0].credential;
  if (process.env.VOUCH_INTEROP_DUMP) console.error(`credential (${format}): ${credential}`);

  // A verification failure is reported after the issuer-side checks below, which run
  // whatever the verifiers said.
  let detail;
  let verifyError;
  try {
    detail = formatKey === 'sd_jwt'
      ? await verifySdJwtVc(credential, { typeId: type.id, data, key })
      : await verifyJwtVc(credential, { data, key, w3cTypes: supported.credential_definition?.type });
  } catch (e) {
    verifyError = e;
  }

  // Tell the issuer the credential was accepted (OpenID4VCI §11), through the library.
  check(typeof response.notification_id === 'string', `no notification_id in ${show(Object.keys(response))}`);
  const notified = await client.sendNotification(
    { notificationEndpoint: client.endpointMetadata.credentialIssuerMetadata.notification_endpoint },
    { notification_id: response.notification_id, event: 'credential_accepted' },
  );
  check(!notified.error, `notification refused: ${show(notified.response)}`);
  await checkIssued(ctx.user.id, uc, configId, format, { accepted: true });
  if (verifyError) {
    const why = verifyError instanceof CheckError ? verifyError.message : `${verifyError.name}: ${verifyError.message}`;
    throw new CheckError(`${why} (issuer side fine: notification, ISSUED, provisioned credential)`);
  }
  return detail;
}

// ---- negative cases (the library's own requests; its error bodies are read) ---------

async function tokenError(client, pin) {
  const response = await new AccessTokenClient().acquireAccessToken({
    credentialOffer: client.credentialOffer,
    metadata: client.endpointMetadata,
    credentialIssuer: client.getIssuer(),
    ...(pin !== undefined && { pin }),
  });
  return response;
}

async function rawCredentialRequest(client, configId, proofInput) {
  const requestClient = CredentialRequestClientBuilderV1_0_15.fromCredentialOffer({
    credentialOffer: client.credentialOffer,
    metadata: client.endpointMetadata,
  })
    .withCredentialConfigurationId(configId)
    .withTokenFromResponse(client.accessTokenResponse)
    .build();
  return requestClient.acquireCredentialsUsingRequest(
    await requestClient.createCredentialRequest({ proofInput, credentialConfigurationId: configId, version: requestClient.version() }),
  );
}

async function freshProof(client, key, tamper) {
  const nonce = await client.acquireNonce();
  return ProofOfPossessionBuilder.fromAccessTokenResponse({
    accessTokenResponse: { ...client.accessTokenResponse, c_nonce: nonce },
    callbacks: proofCallbacks(key, { tamper }),
    version: client.version(),
  })
    .withIssuer(client.getIssuer())
    .withAlg('ES256')
    .withJWK(key.jwk);
}

function expectOAuthError(response, code, what) {
  check(response.errorBody, `${what}: expected error ${code}, got HTTP ${response.origResponse?.status} ${show(response.successBody)}`);
  check(response.errorBody.error === code,
    `${what}: expected error ${code}, got HTTP ${response.origResponse?.status} ${show(response.errorBody)}`);
  return `${code} (HTTP ${response.origResponse.status}): ${response.errorBody.error_description ?? ''}`;
}

// ---- main --------------------------------------------------------------------------

// The wallet library warns on the console (for instance that the authorization server
// metadata has no authorization_endpoint, which is right for a pre-authorized-code-only
// issuer). Each distinct warning is shown once, at the end, instead of once per run.
const libraryWarnings = new Map();
console.warn = (...args) => {
  const text = args.map((a) => (typeof a === 'string' ? a : show(a))).join(' ').replace(/https?:\/\/localhost:\d+\/[0-9a-f-]+/g, '<issuer>');
  libraryWarnings.set(text, (libraryWarnings.get(text) ?? 0) + 1);
};

const results = [];
async function runCase(name, fn) {
  const t0 = performance.now();
  let ok = true;
  let detail;
  try {
    detail = await fn();
  } catch (e) {
    ok = false;
    detail = e instanceof CheckError ? e.message : `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
    if (!(e instanceof CheckError) && process.env.VOUCH_INTEROP_DEBUG) console.error(e);
  }
  const ms = Math.round(performance.now() - t0);
  results.push({ name, ok, ms });
  console.log(`${LABEL}${ok ? 'PASS' : 'FAIL'} ${name} (${ms} ms)${detail ? ` — ${detail}` : ''}`);
  return ok;
}

const started = performance.now();
const ctx = {};
const setupOk = await runCase('setup: admin token, 2 credential types (one with tx_code), a user', async () => {
  adminToken = await getAdminToken();
  const tag = randomBytes(3).toString('hex');
  ctx.plainType = await createType(`Interop ${tag}`, false);
  ctx.txType = await createType(`Interop TX ${tag}`, true);
  ctx.user = await expectStatus(admin('POST', '/users', { username: `interop-${tag}` }), 201, 'create user');
  return `types ${ctx.plainType.id}, ${ctx.txType.id}`;
});

const runs = {};
if (setupOk) {
  // The wallet library discovers metadata at the draft-13 location (the issuer URL with
  // /.well-known/openid-credential-issuer appended); OpenID4VCI 1.0 §12.2.2 inserts the
  // well-known segment before the path. Both must serve the same document.
  await runCase('metadata: 1.0 path-insertion and draft-13 appended locations agree', async () => {
    const origin = new URL(BASE).origin;
    const inserted = await expectStatus(http('GET', `${origin}/.well-known/openid-credential-issuer/${ENV}`), 200, 'issuer metadata (1.0 location)');
    const appended = await expectStatus(http('GET', `${ISSUER}/.well-known/openid-credential-issuer`), 200, 'issuer metadata (appended)');
    check(same(inserted, appended), 'the two issuer metadata documents differ');
    check(inserted.credential_issuer === ISSUER, `credential_issuer is ${show(inserted.credential_issuer)}, expected ${ISSUER}`);
    const as = await expectStatus(http('GET', `${origin}/.well-known/oauth-authorization-server/${ENV}`), 200, 'AS metadata (RFC 8414 location)');
    check(as.issuer === ISSUER, `AS metadata issuer is ${show(as.issuer)}, expected ${ISSUER} (RFC 8414 §3.3)`);
    for (const t of [ctx.plainType, ctx.txType]) {
      for (const suffix of ['sd_jwt', 'jwt_vc']) {
        check(inserted.credential_configurations_supported?.[`${t.id}.${suffix}`], `no configuration ${t.id}.${suffix} in the metadata`);
      }
    }
    return `${Object.keys(inserted.credential_configurations_supported).length} configurations`;
  });

  // Every format × offer mode × tx_code; the holder key mode and the nonce source vary
  // so that each format sees a jwk header and a did:jwk kid, and both nonce sources.
  const matrix = [];
  for (const formatKey of ['sd_jwt', 'jwt_vc']) {
    for (const byValue of [false, true]) {
      for (const withTx of [false, true]) {
        matrix.push({
          formatKey,
          byValue,
          withTx,
          keyMode: byValue === withTx ? 'jwk' : 'did:jwk',
          nonceFrom: byValue ? 'nonce endpoint' : 'token response',
        });
      }
    }
  }
  for (const c of matrix) {
    const name = `${FORMATS[c.formatKey].format} | offer by ${c.byValue ? 'value' : 'reference'} | ${c.withTx ? 'tx_code' : 'no tx_code'} | proof ${c.keyMode === 'jwk' ? 'jwk header' : 'did:jwk kid'} | c_nonce from ${c.nonceFrom}`;
    const slot = {};
    runs[`${c.formatKey}:${c.byValue ? 'value' : 'ref'}:${c.withTx}`] = slot;
    await runCase(name, () => walletRun(c, ctx, slot));
  }

  await runCase('negative: wrong tx_code → invalid_grant, then the right code still redeems', async () => {
    const uc = await createUserCredential(ctx.user.id, ctx.txType.id, { 'Policy ID': 'P-wrong-tx', 'Holder name': 'Jane' });
    const client = await OpenID4VCIClientV1_0_15.fromURI({ uri: uc._links.credentialOfferByValue.href });
    const wrong = String((Number(uc.offer.txCode) + 1) % 1_000_000).padStart(6, '0');
    const refused = expectOAuthError(await tokenError(client, wrong), 'invalid_grant', 'token with a wrong tx_code');
    await client.acquireAccessToken({ pin: uc.offer.txCode });
    const key = await walletKey('jwk');
    const configId = `${ctx.txType.id}.sd_jwt`;
    const response = await client.acquireCredentials({
      credentialConfigurationId: configId, format: 'dc+sd-jwt', alg: 'ES256', proofCallbacks: proofCallbacks(key), jwk: key.jwk,
    });
    check(response.credentials?.length === 1, 'no credential after the right tx_code');
    return refused;
  });

  await runCase('negative: pre-authorized code reused (offer by value) → invalid_grant', async () => {
    const run = runs['sd_jwt:value:false'];
    check(run?.client?.hasAccessTokenResponse(), 'needs the dc+sd-jwt by-value run to have redeemed its offer');
    const client = await OpenID4VCIClientV1_0_15.fromURI({ uri: run.uri });
    return expectOAuthError(await tokenError(client), 'invalid_grant', 'second token request with the same code');
  });

  await runCase('negative: redeemed offer by reference can no longer be fetched', async () => {
    const run = runs['jwt_vc:ref:false'];
    check(run?.client?.hasAccessTokenResponse(), 'needs the jwt_vc_json by-reference run to have redeemed its offer');
    try {
      await OpenID4VCIClientV1_0_15.fromURI({ uri: run.uri });
    } catch (e) {
      check(/http code 4\d\d/.test(e.message), `unexpected library error: ${e.message}`);
      return `library: ${e.message}`;
    }
    throw new CheckError('the library still resolved the redeemed credential_offer_uri');
  });

  await runCase('negative: replayed proof (used c_nonce) → invalid_nonce', async () => {
    const run = runs['sd_jwt:ref:false'];
    check(run?.proofs?.length === 1 && run.client.hasAccessTokenResponse(), 'needs the dc+sd-jwt by-reference run to have sent its proof');
    const replay = await rawCredentialRequest(run.client, run.configId, { proof_type: 'jwt', jwt: run.proofs[0].jwt });
    return expectOAuthError(replay, 'invalid_nonce', 'credential request replaying a used proof');
  });

  await runCase('negative: proof for another audience → invalid_proof', async () => {
    const run = runs['jwt_vc:ref:true'];
    check(run?.client?.hasAccessTokenResponse(), 'needs the jwt_vc_json by-reference tx_code run to have its access token');
    const proof = await freshProof(run.client, run.key, (p) => ({ ...p, aud: 'https://other-issuer.example' }));
    return expectOAuthError(await rawCredentialRequest(run.client, run.configId, proof), 'invalid_proof', 'credential request with a wrong aud');
  });
}

for (const [text, n] of libraryWarnings) console.log(`${LABEL}note: library warning (${n}x): ${text}`);
const failed = results.filter((r) => !r.ok).length;
const total = Math.round(performance.now() - started);
console.log(`${LABEL}oid4vci interop: ${results.length - failed} passed, ${failed} failed in ${total} ms`);
process.exit(failed ? 1 : 0);
