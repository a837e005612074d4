import { expected } from './errors.js';

/**
 * A word (keyword, number, address, CIDR, name, `a-b` range) or an operator, with the
 * 0-based offset where it starts so errors can name the column.
 */
export interface Token {
  kind: 'word' | 'op' | 'end';
  text: string;
  pos: number;
  /** written with a leading backslash (`proto \tcp`): never a keyword */
  escaped?: boolean;
}

const OPERATORS = ['&&', '||', '!=', '==', '>=', '<=', '<<', '>>', '(', ')', '[', ']', '!', '&', '|', '=', '<', '>', '+', '-', '*', '/', '%', '^', ':'];

const isAlnum = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

/**
 * Splits a filter expression into tokens, following pcap's scanner where it matters:
 * `a-b` port ranges, `tcp-syn`, `eni-0abc` and IPv6 addresses are single words;
 * `10.0.0.0/8` is one word (an address with a prefix); inside `[ ]`, `:` separates
 * the offset from the size (`tcp[13:1]`).
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0; // inside [ ]
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    const startsWord = isAlnum(c) || c === '\\' || (c === ':' && text[i + 1] === ':' && depth === 0);
    if (startsWord) {
      let escaped = false;
      if (c === '\\') {
        escaped = true;
        i++;
        if (i >= text.length || !isAlnum(text[i])) throw expected(start, 'a name after "\\"', text.slice(i, i + 1));
      }
      const wordStart = i;
      while (i < text.length) {
        const d = text[i];
        if (isAlnum(d) || d === '.') {
          i++;
        } else if (d === ':' && depth === 0) {
          i++;
        } else if (d === '-' && i > wordStart && i + 1 < text.length && isAlnum(text[i + 1])) {
          i++;
        } else if (d === '/' && /[.:]/.test(text.slice(wordStart, i)) && /[0-9]/.test(text[i + 1] ?? '')) {
          i++; // an address with a prefix length: 10.0.0.0/8, 2001:db8::/32
        } else {
          break;
        }
      }
      tokens.push({ kind: 'word', text: text.slice(wordStart, i), pos: start, ...(escaped ? { escaped } : {}) });
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (!op) throw expected(start, 'a word, a number or an operator', c);
    if (op === '[') depth++;
    if (op === ']') depth = Math.max(0, depth - 1);
    tokens.push({ kind: 'op', text: op, pos: start });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}
