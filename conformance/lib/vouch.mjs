// vouch's side of the presentation interop suites (oid4vp/, siop/): its management API
// (admin token, credential types, users, user credentials, revocation, presentation
// sessions and their outcome), called with plain fetch, and a minimal OpenID4VCI
// pre-authorized-code wallet that gets the credentials the wallet under test then presents.
// Issuance is not what is under test here (conformance/oid4vci/ runs a third-party wallet
// against it); it only has to fail loudly when something is off. No packages: node:crypto
// signs the proof, so each suite's own node_modules serves it.

import { KeyObject, sign } from 'node:crypto';

export class CheckError extends Error {}
export function check(condition, message) {
  if (!condition) throw new CheckError(message);
}
export const show = (v) => JSON.stringify(v);

export async function http(method, url, { token, json, form, basic, headers: extra } = {}) {
  const headers = { accept: 'application/json', ...extra };
  let body;
  if (token) headers.authorization = `Bearer ${token}`;
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
  if (json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(json);
  }
  if (form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export async function expectStatus(promise, status, what) {
  const r = await promise;
  check(r.status === status, `${what}: HTTP ${r.status}, expected ${status}: ${show(r.body)}`);
  return r.body;
}

export class Vouch {
  constructor({ base, env, clientId, clientSecret }) {
    this.base = base.replace(/\/+$/, '');
    this.env = env;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.api = `${this.base}/v1/environments/${env}`;
    this.issuer = `${this.base}/${env}`;
    // did:web of the environment: host (port colon percent-encoded) then the path.
    this.did = `did:web:${new URL(this.base).host.replace(':', '%3A')}:${env}`;
  }

  async login() {
    const body = await expectStatus(
      http('POST', `${this.base}/${this.env}/as/token`, {
        basic: [this.clientId, this.clientSecret],
        form: { grant_type: 'client_credentials' },
      }),
      200,
      'admin token',
    );
    check(typeof body?.access_token === 'string', `admin token response has no access_token: ${show(body)}`);
    this.token = body.access_token;
  }

  admin(method, path, json, headers) {
    return http(method, `${this.api}${path}`, { token: this.token, json, headers });
  }

  createType(title, fields) {
    return expectStatus(
      this.admin('POST', '/credentialTypes', {
        title,
        description: 'wallet interop',
        cardDesignTemplate: '<svg xmlns="http://www.w3.org/2000/svg"><text>${cardTitle}</text></svg>',
        management: { mode: 'MANAGED' },
        metadata: { fields },
      }),
      201,
      `create credential type ${title}`,
    );
  }

  createUser(username) {
    return expectStatus(this.admin('POST', '/users', { username }), 201, 'create user');
  }

  createUserCredential(userId, typeId, data) {
    return expectStatus(
      this.admin('POST', `/users/${userId}/credentials`, { credentialType: { id: typeId }, data }),
      201,
      'create user credential',
    );
  }

  // PingOne's revocation: POST on the user credential with its own media type.
  revoke(userId, credentialId) {
    return expectStatus(
      this.admin('POST', `/users/${userId}/credentials/${credentialId}`, {}, {
        'content-type': 'application/vnd.pingidentity.validations.revokeCredential+json',
      }),
      200,
      'revoke user credential',
    );
  }

  // A second environment (the bootstrap client holds ORGANIZATION_ADMIN).
  async createEnvironment(name) {
    const body = await expectStatus(
      http('POST', `${this.base}/v1/environments`, { token: this.token, json: { name } }),
      201,
      'create environment',
    );
    return body.environment?.id ?? body.id;
  }

  createSession(input) {
    return this.admin('POST', '/presentationSessions', input);
  }

  async session(id) {
    return expectStatus(this.admin('GET', `/presentationSessions/${id}`), 200, 'GET presentation session');
  }

  async credentialData(id) {
    return expectStatus(this.admin('GET', `/presentationSessions/${id}/credentialData`), 200, 'GET credentialData');
  }

  async events(id) {
    const body = await expectStatus(this.admin('GET', `/presentationSessions/${id}/events`), 200, 'GET events');
    return body?._embedded?.events ?? [];
  }

  // The verifier's X.509 chain (leaf first, root last), PEM, or undefined when the
  // server has none (404).
  async x509Chain() {
    const r = await fetch(`${this.base}/oid4vp/x509/chain.pem`);
    if (r.status === 404) return undefined;
    check(r.ok, `GET /oid4vp/x509/chain.pem: HTTP ${r.status}`);
    return r.text();
  }

  // OpenID4VCI, pre-authorized code, offer by value: token, then per configuration a
  // nonce and a credential request with a `jwt` proof signed by the holder key (`key.alg`, a `jwk`
  // header or a did:jwk `kid`, as key.proofHeader says).
  async issue(offerLink, requests) {
    const offer = JSON.parse(new URL(offerLink).searchParams.get('credential_offer'));
    const issuer = offer.credential_issuer;
    const code = offer.grants?.['urn:ietf:params:oauth:grant-type:pre-authorized_code']?.['pre-authorized_code'];
    check(code, `offer has no pre-authorized code: ${show(offer)}`);
    const iss = new URL(issuer);
    const origin = iss.origin;
    const metadata = await expectStatus(
      http('GET', `${origin}/.well-known/openid-credential-issuer${iss.pathname}`), 200, 'issuer metadata');
    const as = await expectStatus(
      http('GET', `${origin}/.well-known/oauth-authorization-server${iss.pathname}`), 200, 'AS metadata');
    const token = await expectStatus(
      http('POST', as.token_endpoint, {
        form: { grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': code },
      }),
      200,
      'token request',
    );
    const out = [];
    for (const { configId, key } of requests) {
      check(offer.credential_configuration_ids.includes(configId), `offer does not name ${configId}`);
      const { c_nonce: nonce } = await expectStatus(http('POST', metadata.nonce_endpoint), 200, 'nonce request');
      const proof = signJwt(
        { alg: key.alg ?? 'ES256', typ: 'openid4vci-proof+jwt', ...key.proofHeader },
        { aud: issuer, iat: Math.floor(Date.now() / 1000), nonce },
        key.privateKey,
      );
      const response = await expectStatus(
        http('POST', metadata.credential_endpoint, {
          token: token.access_token,
          json: { credential_configuration_id: configId, proofs: { jwt: [proof] } },
        }),
        200,
        `credential request ${configId}`,
      );
      const credential = response.credentials?.[0]?.credential;
      check(typeof credential === 'string', `credential response: ${show(response)}`);
      out.push(credential);
    }
    return out;
  }
}

// A compact JWS (ES256 or EdDSA) with node:crypto; `privateKey` a CryptoKey or KeyObject.
function signJwt(header, payload, privateKey) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  const key = privateKey instanceof KeyObject ? privateKey : KeyObject.from(privateKey);
  const signature = header.alg === 'EdDSA'
    ? sign(null, Buffer.from(input), key)
    : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
