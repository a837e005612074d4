/**
 * IPv4 and IPv6 addresses and CIDR blocks as numbers, for rule matching. An address of one family
 * never matches a block of the other (a security group's 0.0.0.0/0 does not admit IPv6 traffic).
 */

export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

export function parseAddress(text: string): ParsedAddress | undefined {
  const address = text.trim().replace(/^\[|\]$/g, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    const parts = address.split('.').map(Number);
    if (parts.some((part) => part > 255)) return undefined;
    return { family: 4, value: parts.reduce((sum, part) => (sum << 8n) | BigInt(part), 0n) };
  }
  if (!address.includes(':')) return undefined;
  let text6 = address;
  // an IPv4 tail (::ffff:10.0.0.1) is two groups
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text6);
  if (tail) {
    const v4 = parseAddress(tail[1]);
    if (!v4) return undefined;
    text6 = `${text6.slice(0, -tail[1].length)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const halves = text6.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return { family: 6, value };
}

export interface ParsedCidr {
  family: 4 | 6;
  network: bigint;
  bits: number;
}

export function parseCidr(text: string): ParsedCidr | undefined {
  const [address, length] = text.split('/');
  const parsed = parseAddress(address);
  if (!parsed) return undefined;
  const width = parsed.family === 4 ? 32 : 128;
  const bits = length === undefined ? width : Number(length);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  return { family: parsed.family, network: parsed.value >> BigInt(width - bits), bits };
}

/** Whether `address` is inside `cidr` (same family only). */
export function cidrContains(cidr: string, address: string): boolean {
  const block = parseCidr(cidr);
  const parsed = parseAddress(address);
  if (!block || !parsed || block.family !== parsed.family) return false;
  const width = parsed.family === 4 ? 32 : 128;
  return parsed.value >> BigInt(width - block.bits) === block.network;
}

export function isIpv6(address: string): boolean {
  return parseAddress(address)?.family === 6;
}

/** The one-address block of an address: 10.0.1.10/32, 2001:db8::1/128. */
export function hostCidr(address: string): string {
  return isIpv6(address) ? `${address}/128` : `${address}/32`;
}
