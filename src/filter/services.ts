/**
 * Service names a filter may use instead of a port number (`port https`), as in a
 * Linux /etc/services (Debian netbase). Built in rather than read from the system so
 * an expression means the same on every machine. As pcap-filter(7) says: "If a name
 * is used, both the port number and protocol are checked. If a number or ambiguous
 * name is used, only the port number is checked" — `protocol` is null for names that
 * exist for both TCP and UDP.
 */
export interface Service {
  port: number;
  /** 6 TCP, 17 UDP; null when the name is registered for both */
  protocol: 6 | 17 | null;
}

const TCP = 6 as const;
const UDP = 17 as const;

const TABLE: Record<string, Service> = {
  'ftp-data': { port: 20, protocol: TCP },
  ftp: { port: 21, protocol: TCP },
  ssh: { port: 22, protocol: TCP },
  telnet: { port: 23, protocol: TCP },
  smtp: { port: 25, protocol: TCP },
  mail: { port: 25, protocol: TCP },
  domain: { port: 53, protocol: null },
  bootps: { port: 67, protocol: UDP },
  bootpc: { port: 68, protocol: UDP },
  tftp: { port: 69, protocol: UDP },
  http: { port: 80, protocol: TCP },
  www: { port: 80, protocol: TCP },
  kerberos: { port: 88, protocol: null },
  pop3: { port: 110, protocol: TCP },
  ntp: { port: 123, protocol: UDP },
  imap: { port: 143, protocol: TCP },
  imap2: { port: 143, protocol: TCP },
  snmp: { port: 161, protocol: null },
  ldap: { port: 389, protocol: null },
  https: { port: 443, protocol: null },
  'microsoft-ds': { port: 445, protocol: TCP },
  submissions: { port: 465, protocol: TCP },
  smtps: { port: 465, protocol: TCP },
  syslog: { port: 514, protocol: UDP },
  submission: { port: 587, protocol: TCP },
  ldaps: { port: 636, protocol: null },
  rsync: { port: 873, protocol: TCP },
  imaps: { port: 993, protocol: TCP },
  pop3s: { port: 995, protocol: TCP },
  openvpn: { port: 1194, protocol: null },
  'ms-sql-s': { port: 1433, protocol: TCP },
  nfs: { port: 2049, protocol: null },
  mysql: { port: 3306, protocol: TCP },
  'ms-wbt-server': { port: 3389, protocol: TCP },
  sip: { port: 5060, protocol: null },
  postgresql: { port: 5432, protocol: TCP },
  postgres: { port: 5432, protocol: TCP },
  amqp: { port: 5672, protocol: TCP },
  x11: { port: 6000, protocol: TCP },
  redis: { port: 6379, protocol: TCP },
  'http-alt': { port: 8080, protocol: TCP },
  webcache: { port: 8080, protocol: TCP },
};

export function findService(name: string): Service | undefined {
  return Object.prototype.hasOwnProperty.call(TABLE, name) ? TABLE[name] : undefined;
}

/** Protocol names `proto` accepts (getprotobyname(3) names flow logs can carry). */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmp6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
};
