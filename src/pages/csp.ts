import { createHash } from 'node:crypto';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of a self-contained page: only its own inline script and style may run (by
 * hash: the pages are static, so no per-response nonce is needed), data may only be fetched from this
 * origin, and nothing else may load at all. `img` is the page's img-src (`'none'` or e.g. `data:`).
 */
export function selfContainedPageCsp(page: { script: string; style: string; img: string }): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(page.script)}`,
    `style-src ${sha256(page.style)}`,
    "connect-src 'self'",
    `img-src ${page.img}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
