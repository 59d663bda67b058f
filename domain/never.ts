/**
 * The end of an exhaustive switch: `default: return assertNever(x)` compiles only while every
 * case of `x`'s union is handled above it, so a new member (an item action, a state) is a
 * compile error until each switch has answered for it. Unreachable at run time; if a value
 * outside the type ever arrives, it fails loudly instead of taking a silent default.
 */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
