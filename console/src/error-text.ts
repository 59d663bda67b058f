/** The words of a refused request: pure, no DOM, so that the tests run it as it is. */

/** Compared as a person reads them: spacing and the closing full stop do not make two reasons different. */
const sameWords = (s: string) => s.replace(/\s+/g, '').replace(/[。.；;，,、：:]+$/, '');

/**
 * A 400's words: the server's message once, then each field's reason only when it adds
 * something — not already said in the message (the server's message often is the reason, or
 * names it), nor said by another field before it.
 */
export function errorText(message: string, reasons: string[]): string {
  const said = [sameWords(message)];
  const added: string[] = [];
  for (const reason of reasons) {
    const words = sameWords(reason);
    if (words === '' || said.some((s) => s.includes(words))) continue;
    said.push(words);
    added.push(reason.trim());
  }
  return added.length ? `${message}：${added.join('；')}` : message;
}
