/**
 * Text for Prisma's `contains`/`startsWith`, which pastes it into a LIKE pattern unescaped: without
 * this `%` and `_` match anything. Backslash is PostgreSQL's default LIKE escape.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
