/** Answers from an in-process cached representation with `ETag`, `Cache-Control` and 304 on a match. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ifNoneMatchHits, type CachedResponse } from '../services/response-cache.js';

export function sendCached(request: FastifyRequest, reply: FastifyReply, cached: CachedResponse, maxAgeSeconds: number) {
  reply.header('cache-control', `public, max-age=${maxAgeSeconds}`).header('etag', cached.etag);
  if (ifNoneMatchHits(request.headers['if-none-match'], cached.etag)) return reply.code(304).send();
  return reply.headers(cached.headers ?? {}).type(cached.contentType).send(cached.body);
}
