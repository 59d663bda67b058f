/**
 * RFC 6266/5987 Content-Disposition for a download: the original (Chinese) name survives in
 * `filename*`, an ASCII stand-in goes in `filename` for old clients, and nothing in the name can
 * break the header.
 */
export function contentDisposition(name: string, inline = false): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
