import { BlockList, isIP } from 'node:net';

/**
 * Addresses and CIDR blocks of security-group and network-ACL rules, matched with node:net (off
 * the hot path: a few rules per explained connection). An address is what node:net accepts, as a
 * record's address is read (docs/analyzer.md): `010.0.0.1` is no IPv4 address. An address of one
 * family never matches a block of the other (a security group's 0.0.0.0/0 does not admit IPv6
 * traffic).
 */

/** Whether `address` is inside `cidr` (same family only). */
export function cidrContains(cidr: string, address: string): boolean {
  const slash = cidr.indexOf('/');
  const network = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIP(network);
  if (family === 0 || isIP(address) !== family) return false;
  const width = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(width) : cidr.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > width) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(network, Number(prefixText), type);
  return block.check(address, type);
}

export function isIpv6(address: string): boolean {
  return isIP(address) === 6;
}

/** The one-address block of an address: 10.0.1.10/32, 2001:db8::1/128. */
export function hostCidr(address: string): string {
  return isIpv6(address) ? `${address}/128` : `${address}/32`;
}
