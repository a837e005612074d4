import { fnv1a, FNV_OFFSET } from '../hash.js';
import { comparePorts } from './record-tally.js';
import type { Endpoint } from './summary.js';

// How a report writes connections, endpoints and times.

/** "ip port" of side 0 or 1 of a connection key ("ip0 port0 ip1 port1"). */
export function sideText(key: string, side: number): string {
  const first = key.indexOf(' ');
  const second = key.indexOf(' ', first + 1);
  return side === 0 ? key.substring(0, second) : key.substring(second + 1);
}

export function endpointOf(text: string): Endpoint {
  const space = text.indexOf(' ');
  const port = text.substring(space + 1);
  return { address: text.substring(0, space), port: port === '-' ? null : Number(port) };
}

/** The connection key of two endpoints, ordered exactly as `connectionKey` orders a record's. */
export function endpointsKey(a: Endpoint, b: Endpoint): string {
  const text = (e: Endpoint): string => `${e.address} ${e.port ?? '-'}`;
  let aFirst: boolean;
  if (a.address < b.address) aFirst = true;
  else if (a.address > b.address) aFirst = false;
  else aFirst = comparePorts(a.port ?? Number.NaN, b.port ?? Number.NaN) <= 0;
  return aFirst ? `${text(a)} ${text(b)}` : `${text(b)} ${text(a)}`;
}

export function displayEndpoint(e: Endpoint): string {
  const address = e.address.includes(':') ? `[${e.address}]` : e.address;
  return e.port === null ? address : `${address}:${e.port}`;
}

/** With no handshake to go by, the side with the lower port is taken as the server. */
export function serverSideByPort(key: string): 0 | 1 {
  const port = (text: string): number => {
    const value = Number(text.substring(text.indexOf(' ') + 1));
    return Number.isNaN(value) ? 65536 : value;
  };
  return port(sideText(key, 0)) <= port(sideText(key, 1)) ? 0 : 1;
}

/** FNV-1a of the connection key, as 8 hex digits: short, stable across runs and machines. */
export function connectionId(key: string): string {
  return idText(fnv1a(FNV_OFFSET, key));
}

/** The 8 hex digits of a connection id's number. */
export function idText(hash: number): string {
  return hash.toString(16).padStart(8, '0');
}



export function iso(seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
