/**
 * A stand-in for Apple's and Google's key endpoints: RSA key pairs made by the test, published as a JWKS over
 * HTTP on 127.0.0.1, and identity tokens signed with them. Counts the fetches, and can fail or hang on demand.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newSigningKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export type JwksMode = 'serve' | 'fail' | 'hang';

export interface JwksServer {
  /** Base URL; the keys are served at any path below it (e.g. `${url}/apple`). */
  url: string;
  /** The keys published now; replace to rotate. */
  keys: SigningKey[];
  /** `fail` answers 500, `hang` never answers. */
  mode: JwksMode;
  /** Number of requests received per path. */
  fetches(path: string): number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: SigningKey[] = []): Promise<JwksServer> {
  const counts = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const state: JwksServer = {
    url: '',
    keys,
    mode: 'serve',
    fetches: (path) => counts.get(path) ?? 0,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (state.mode === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

export interface IdentityTokenOptions {
  key: SigningKey;
  issuer: string;
  audience: string;
  subject?: string | null;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt?: number | null;
  /** Header `kid`; the key's own unless given (null: none). */
  kid?: string | null;
  claims?: JWTPayload;
}

/** An RS256 identity token as Apple or Google would issue it. */
export async function signIdentityToken(options: IdentityTokenOptions): Promise<string> {
  const kid = options.kid === undefined ? options.key.kid : options.kid;
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: 'RS256', ...(kid === null ? {} : { kid }) })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(options.issuedAt);
  if (options.subject !== null) jwt.setSubject(options.subject ?? `000123.${randomUUID().replace(/-/g, '')}.0815`);
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? options.issuedAt + 600);
  return jwt.sign(options.key.privateKey);
}
