// The holder: third-party wallet code answering vouch's ID1 sessions (SIOPv2 + OpenID4VP
// draft with DIF Presentation Exchange, as the DIF JWT VC Presentation Profile asks).
//
// - `@sphereon/did-auth-siop` 0.19.0, its OP (wallet) side, `OP.builder()`: parses the
//   `openid-vc://` link, fetches the request object by `request_uri`, checks it (schema,
//   version discovery, `client_id_scheme: did` → the signer is the DID URL in `kid`, whose
//   key the callback below resolves), finds and validates the `presentation_definition`,
//   builds the self-issued ID Token (claims, header) and the `presentation_submission`
//   (with `@sphereon/pex`, from the VP given), and posts the form to `response_uri`.
// - The script supplies only what a wallet owner supplies: the JWS verify callback (the
//   did:web key via DIF `did-resolver` + `web-did-resolver`, the signature with `jose`), the
//   JWS sign callback (the holder key, `jose`), and the JWT VP (VCDM 1.1, signed with the
//   holder key with the request's `nonce` and the client id as `aud`, OpenID4VP draft 20
//   §12.1 / Appendix A.1.1.2).
// - 0.19.0 is the last release with Presentation Exchange: 0.20 speaks DCQL only (its
//   AuthorizationRequest.verify rejects a `presentation_definition` with "The verifier is
//   using a older draft implementation that is not supported"; SupportedVersion has only
//   SIOPv2_OID4VP_D28 and OID4VP_v1).

import { createRequire } from 'node:module';
import { createHash, randomUUID } from 'node:crypto';

import { check, show } from '../lib/vouch.mjs';

// Every HTTP request of the libraries goes through cross-fetch, which on Node calls
// `require('node-fetch').default`, read once when cross-fetch loads; it is wrapped here,
// before web-did-resolver and @sphereon/did-auth-siop load cross-fetch, to
// - rewrite https://localhost: to http://localhost: (did:web names an https URL and
//   web-did-resolver fetches exactly that; the interop server listens on plain http, so
//   for localhost ONLY, as in conformance/did/resolve.mjs),
// - record the library's requests (request_uri GET, the response form POST) for the cases.
const require = createRequire(import.meta.url);
const nodeFetch = createRequire(require.resolve('cross-fetch'))('node-fetch');
const realNodeFetch = nodeFetch.default || nodeFetch;
export const requests = [];
nodeFetch.default = async function recordedLocalhostOverHttp(url, options = {}) {
  if (typeof url === 'string' && url.startsWith('https://localhost:')) {
    url = 'http://' + url.slice('https://'.length);
  }
  const body = options.body === undefined ? undefined : String(options.body);
  const entry = { method: (options.method ?? 'GET').toUpperCase(), url: String(url), body };
  requests.push(entry);
  const response = await realNodeFetch.call(this, url, options);
  entry.status = response.status;
  entry.responseText = await response.clone().text();
  return response;
};


const jose = await import('jose');
const siop = await import('@sphereon/did-auth-siop');
const { PEX, PresentationSubmissionLocation } = await import('@sphereon/pex');
const { Resolver } = await import('did-resolver');
const { getResolver: getWebResolver } = await import('web-did-resolver');

const { OP, SupportedVersion, PassBy, ResponseMode, VPTokenLocation } = siop;
export { siop, VPTokenLocation };

const didResolver = new Resolver({ ...getWebResolver() });
const now = () => Math.floor(Date.now() / 1000);

// ---- keys ---------------------------------------------------------------------------

const MULTICODEC = { Ed25519: [0xed, 0x01] };
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

// A holder key and its DID: did:jwk (ES256) or did:key (Ed25519, multicodec 0xed01).
export async function holderKey(method) {
  const alg = method === 'did:key' ? 'EdDSA' : 'ES256';
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
  const { kty, crv, x, y } = await jose.exportJWK(publicKey);
  const jwk = y ? { kty, crv, x, y } : { kty, crv, x };
  let did;
  let kid;
  if (method === 'did:key') {
    const mb = 'z' + base58btc(Buffer.concat([Buffer.from(MULTICODEC.Ed25519), Buffer.from(x, 'base64url')]));
    did = `did:key:${mb}`;
    kid = `${did}#${mb}`;
  } else {
    did = `did:jwk:${jose.base64url.encode(JSON.stringify(jwk))}`;
    kid = `${did}#0`;
  }
  return { method, alg, jwk, privateKey, did, kid, proofHeader: { kid } };
}

// ---- the callbacks the library asks for -------------------------------------------

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

// Which JWTs the library asked to have verified ({type, method, didUrl}).
export const verified = [];

async function verifyJwt(verifier, jwt) {
  verified.push({ type: verifier.type, method: verifier.method, didUrl: verifier.didUrl, alg: verifier.alg });
  if (verifier.method !== 'did') {
    throw new Error(`this wallet verifies request objects signed by a DID only, not ${verifier.method}`);
  }
  const jwk = await didUrlKey(verifier.didUrl);
  await jose.compactVerify(jwt.raw, await jose.importJWK(jwk, verifier.alg ?? jwt.header.alg), {
    algorithms: [verifier.alg ?? jwt.header.alg],
  });
  return true;
}

// ---- the wallet -----------------------------------------------------------------------

// `tweak` changes what the holder signs (negative cases): `signWith` (another key signs
// the ID Token), `idToken(payload)` (claims changed before signing), `fixIat` (see below).
function op(holder, tweak, signed) {
  const createJwt = async (issuer, { header, payload }) => {
    check(issuer.method === 'did' && issuer.type === 'id-token',
      `the library asked to sign a ${issuer.type} by ${issuer.method}`);
    const claims = { ...payload };
    // @sphereon/did-auth-siop 0.19.0 (lib/id-token/Payload.ts, createIDTokenPayload) sets
    // `iat: Math.round(Date.now() / SEC_IN_MS - 60 * SEC_IN_MS)`: now minus 60 000 seconds
    // (16 h 40 min ago; it means one minute of skew). Unless the case wants the library's
    // own value, the wallet puts the real time back before signing.
    if (tweak.fixIat !== false) claims.iat = now();
    tweak.idToken?.(claims);
    const key = tweak.signWith ?? holder;
    const jwt = await new jose.SignJWT(claims).setProtectedHeader({ ...header }).sign(key.privateKey);
    signed.push({ header, libraryPayload: payload, claims, jwt });
    return jwt;
  };
  return OP.builder()
    .withExpiresIn(300)
    .withIssuer(siop.ResponseIss.SELF_ISSUED_V2)
    .withResponseMode(ResponseMode.DIRECT_POST)
    .withSupportedVersions([SupportedVersion.SIOPv2_D12_OID4VP_D20, SupportedVersion.SIOPv2_D12_OID4VP_D18,
      SupportedVersion.SIOPv2_ID1, SupportedVersion.JWT_VC_PRESENTATION_PROFILE_v1])
    .withHasher((data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest())
    .withCreateJwtCallback(createJwt)
    .withVerifyJwtCallback(verifyJwt)
    .withRegistration({
      passBy: PassBy.VALUE,
      issuer: siop.ResponseIss.SELF_ISSUED_V2,
      subject_syntax_types_supported: ['did:jwk', 'did:key'],
      idTokenSigningAlgValuesSupported: ['ES256', 'EdDSA'],
      vpFormatsSupported: { jwt_vc_json: { alg: ['ES256', 'EdDSA'] }, jwt_vp_json: { alg: ['ES256', 'EdDSA'] } },
    })
    .build();
}

// VCDM 1.1 presentation as a JWT (VC-JWT): iss = holder DID, aud = client_id, nonce, iat,
// vp.holder, vp.verifiableCredential.
export async function jwtVp(holder, credential, { aud, nonce, iat = now() }) {
  return new jose.SignJWT({
    iss: holder.did,
    aud,
    nonce,
    iat,
    nbf: iat,
    exp: iat + 300,
    jti: `urn:uuid:${randomUUID()}`,
    vp: {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      type: ['VerifiablePresentation'],
      holder: holder.did,
      verifiableCredential: [credential],
    },
  })
    .setProtectedHeader({ alg: holder.alg, typ: 'JWT', kid: holder.kid })
    .sign(holder.privateKey);
}

function submissionFor(definition, credential) {
  const pex = new PEX();
  pex.evaluateCredentials(definition, [credential]);
  return pex.presentationSubmissionFrom(definition, [credential], {
    presentationSubmissionLocation: PresentationSubmissionLocation.EXTERNAL,
  });
}

// Opens the link, makes the presentation, lets the library build and send the answer.
// Returns what happened at each step.
export async function answer(link, holder, credential, tweak = {}) {
  const signed = [];
  const wallet = op(holder, tweak, signed);
  const before = requests.length;
  const verifiedBefore = verified.length;
  const request = await wallet.verifyAuthorizationRequest(link);
  const payload = await request.authorizationRequest.mergedPayloads();
  const definitions = await request.authorizationRequest.getPresentationDefinitions();
  check(definitions?.length === 1, `the library found ${definitions?.length ?? 0} presentation definitions`);
  const definition = definitions[0].definition;
  const vp = await jwtVp(holder, credential, {
    aud: tweak.vpAud ?? payload.client_id,
    nonce: tweak.vpNonce ?? payload.nonce,
  });
  // The library's own check that the presentation satisfies the definition, and the
  // submission it makes for it.
  const evaluation = await siop.PresentationExchange.validatePresentationAgainstDefinition(definition, vp);
  check(!evaluation.errors?.length || evaluation.areRequiredCredentialsPresent === 'info',
    `@sphereon/pex: the VP does not satisfy the definition: ${show(evaluation.errors)}`);
  const response = await wallet.createAuthorizationResponse(request, {
    jwtIssuer: { method: 'did', didUrl: holder.kid, alg: holder.alg },
    presentationExchange: {
      verifiablePresentations: [vp],
      // The submission for a vp_token outside the VP (OpenID4VP), made by @sphereon/pex
      // from the credential and the definition (descriptor path `$`, nested into the VP).
      presentationSubmission: submissionFor(definition, credential),
      ...(tweak.vpTokenLocation && { vpTokenLocation: tweak.vpTokenLocation }),
    },
  });
  // The library throws on a non-2xx answer (with the body as its message); the answer is
  // then read from the recorded POST.
  let status;
  let text;
  try {
    const sent = await wallet.submitAuthorizationResponse(response);
    status = sent.status;
    text = await sent.text();
  } catch (e) {
    const post = requests.slice(before).at(-1);
    if (post?.method !== 'POST' || post.status === undefined) throw e;
    status = post.status;
    text = post.responseText;
  }
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return {
    request,
    payload,
    evaluation,
    definition,
    vp,
    response,
    responsePayload: response.response.payload,
    idToken: signed.at(-1),
    status,
    body,
    fetches: requests.slice(before),
    verified: verified.slice(verifiedBefore),
  };
}
