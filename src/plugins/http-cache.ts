/**
 * Answers from an in-process cached representation: `ETag`, `Cache-Control`, 304 on a matching
 * `If-None-Match`, and the pre-compressed body for clients that accept gzip.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ifNoneMatchHits, type CachedResponse } from '../services/response-cache.js';

const acceptsGzip = (header: string | undefined) => header !== undefined && /\bgzip\b(?!;\s*q=0(\.0*)?(,|$))/i.test(header);

export function sendCached(request: FastifyRequest, reply: FastifyReply, cached: CachedResponse, maxAgeSeconds: number) {
  reply.header('cache-control', `public, max-age=${maxAgeSeconds}`).header('etag', cached.etag).header('vary', 'Accept, Accept-Encoding');
  if (ifNoneMatchHits(request.headers['if-none-match'], cached.etag)) return reply.code(304).send();
  reply.headers(cached.headers).type(cached.contentType);
  if (cached.gzip && acceptsGzip(request.headers['accept-encoding'])) {
    return reply.header('content-encoding', 'gzip').send(cached.gzip);
  }
  return reply.send(cached.body);
}
