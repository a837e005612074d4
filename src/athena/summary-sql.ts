import { athenaColumns, NODATA_FIELDS } from './columns.js';

/**
 * The one SELECT that answers `flowdump analyze` in Athena: the local analyzer's classification
 * (docs/analyzer.md) in Trino SQL that DuckDB also runs (after the shims in
 * test/fixtures/athena/duckdb-shims.sql). Athena bills by the bytes a query scans, and Trino
 * inlines a WITH clause wherever it is read, so every step below is read exactly once and the
 * table is scanned once: records → (GROUPING SETS) record counts, per-interface connection
 * state, interfaces, NAT hops, SKIPDATA windows → connections → verdicts → (GROUPING SETS)
 * classes, minutes, peers, failures. The answer is a summary (a few hundred rows), never the records.
 *
 * A retried SYN is judged per interface (the connection state is first grouped by interface)
 * and any interface that shows one counts, as the local analyzer does.
 */
export interface SummarySqlOptions {
  /** `database.table` */
  table: string;
  /** the data's fields (flow-log names, `tcp-flags`) */
  fields: readonly string[];
  /** Unix seconds: records that end before it are left out */
  since?: number;
  /** Unix seconds: records that start after it are left out */
  until?: number;
  /** more WHERE conditions (partition pruning), ANDed */
  partitionFilter?: string;
  maxPeers?: number;
  maxFailures?: number;
}

/** Row kinds (`sec`) of the answer. */
export type SummarySection = 'kind' | 'iface' | 'via' | 'class' | 'minute' | 'peer' | 'failure';

export function summarySql(options: SummarySqlOptions): string {
  const columns = new Map(athenaColumns(options.fields).map((column) => [column.field, column]));
  const has = (field: string) => columns.has(field);
  const col = (field: string, type: 'VARCHAR' | 'BIGINT'): string => (has(field) ? `"${columns.get(field)!.name}"` : `CAST(NULL AS ${type})`);
  /** a string column where `-` means "no value" */
  const text = (field: string): string => (has(field) ? `NULLIF("${columns.get(field)!.name}", '-')` : 'CAST(NULL AS VARCHAR)');
  const num = (field: string): string => (has(field) ? `CAST("${columns.get(field)!.name}" AS BIGINT)` : 'CAST(NULL AS BIGINT)');
  const maxPeers = options.maxPeers ?? 50;
  const maxFailures = options.maxFailures ?? 200;

  // NODATA/SKIPDATA from log-status; without it, a record whose address and port fields are all `-`
  const present = NODATA_FIELDS.filter(has);
  const status = has('log-status')
    ? `CASE substr(${col('log-status', 'VARCHAR')}, 1, 1) WHEN 'N' THEN 'nodata' WHEN 'S' THEN 'skipdata' END`
    : present.length > 0
      ? `CASE WHEN ${present.map((field) => (columns.get(field)!.type === 'string' ? `coalesce(${col(field, 'VARCHAR')}, '-') = '-'` : `${col(field, 'BIGINT')} IS NULL`)).join(' AND ')} THEN 'nodata' END`
      : 'CAST(NULL AS VARCHAR)';
  const where = [
    options.partitionFilter,
    options.since !== undefined && has('end') ? `coalesce("end", "start") >= ${Math.floor(options.since)}` : undefined,
    options.until !== undefined && has('start') ? `coalesce("start", "end") <= ${Math.ceil(options.until)}` : undefined,
  ].filter(Boolean);
  // the addresses tcpdump would show: pkt-srcaddr/pkt-dstaddr where present, else srcaddr/dstaddr
  const sa = `coalesce(${text('pkt-srcaddr')}, ${col('srcaddr', 'VARCHAR')}, '-')`;
  const da = `coalesce(${text('pkt-dstaddr')}, ${col('dstaddr', 'VARCHAR')}, '-')`;
  const natSrc = has('pkt-srcaddr') && has('srcaddr') ? `CASE WHEN ${text('pkt-srcaddr')} IS NOT NULL AND ${text('srcaddr')} IS NOT NULL AND ${text('pkt-srcaddr')} <> ${text('srcaddr')} THEN ${text('srcaddr')} END` : 'CAST(NULL AS VARCHAR)';
  const natDst = has('pkt-dstaddr') && has('dstaddr') ? `CASE WHEN ${text('pkt-dstaddr')} IS NOT NULL AND ${text('dstaddr')} IS NOT NULL AND ${text('pkt-dstaddr')} <> ${text('dstaddr')} THEN ${text('dstaddr')} END` : 'CAST(NULL AS VARCHAR)';
  const synOf = (side: number) => `side = ${side} AND bitwise_and(f, 18) = 2`;

  return `WITH
raw AS (
  SELECT
    coalesce(${status}, CASE ${num('protocol')} WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp' ELSE 'other' END) AS kind,
    ${sa} AS sa, ${da} AS da, ${num('srcport')} AS sp, ${num('dstport')} AS dp,
    ${num('tcp-flags')} AS f, ${num('packets')} AS pk, ${num('bytes')} AS bt, ${num('start')} AS st, ${num('end')} AS en,
    CASE WHEN substr(${col('action', 'VARCHAR')}, 1, 1) = 'R' THEN 1 ELSE 0 END AS rj,
    ${text('interface-id')} AS iface,
    ${natSrc} AS nat_s, ${natDst} AS nat_d
  FROM ${options.table}${where.length > 0 ? `\n  WHERE ${where.join(' AND ')}` : ''}
),
rec AS (
  SELECT kind, st, en, pk, bt, rj, f,
    CASE WHEN kind IN ('nodata', 'skipdata') THEN NULL ELSE iface END AS ifc,
    CASE WHEN kind IN ('nodata', 'skipdata') THEN NULL ELSE nat_s END AS via_s,
    CASE WHEN kind IN ('nodata', 'skipdata') THEN NULL ELSE nat_d END AS via_d,
    CASE WHEN kind IN ('nodata', 'skipdata') THEN 0 WHEN nat_s IS NOT NULL OR nat_d IS NOT NULL THEN 1 ELSE 0 END AS nat,
    CASE WHEN kind = 'skipdata' THEN st END AS sk_st,
    CASE WHEN kind = 'skipdata' THEN en END AS sk_en,
    CASE WHEN kind <> 'tcp' THEN NULL WHEN sa < da OR (sa = da AND coalesce(sp, -1) <= coalesce(dp, -1)) THEN sa ELSE da END AS ka,
    CASE WHEN kind <> 'tcp' THEN NULL WHEN sa < da OR (sa = da AND coalesce(sp, -1) <= coalesce(dp, -1)) THEN sp ELSE dp END AS kap,
    CASE WHEN kind <> 'tcp' THEN NULL WHEN sa < da OR (sa = da AND coalesce(sp, -1) <= coalesce(dp, -1)) THEN da ELSE sa END AS kb,
    CASE WHEN kind <> 'tcp' THEN NULL WHEN sa < da OR (sa = da AND coalesce(sp, -1) <= coalesce(dp, -1)) THEN dp ELSE sp END AS kbp,
    CASE WHEN sa < da OR (sa = da AND coalesce(sp, -1) <= coalesce(dp, -1)) THEN 0 ELSE 1 END AS side,
    CASE WHEN kind = 'tcp' THEN iface END AS conn_ifc
  FROM raw
),
g1 AS (
  SELECT
    grouping(kind, ka, conn_ifc, ifc, via_s, via_d, sk_st) AS gs,
    kind, ka, kap, kb, kbp, conn_ifc, ifc, via_s, via_d, sk_st, sk_en,
    count(*) AS n, sum(pk) AS pk_sum, sum(bt) AS bt_sum, sum(rj) AS rj_sum, sum(nat) AS nat_sum,
    min(st) AS st_min, max(en) AS en_max,
    bitwise_or_agg(CASE WHEN side = 0 THEN f END) AS f0,
    bitwise_or_agg(CASE WHEN side = 1 THEN f END) AS f1,
    max(CASE WHEN bitwise_and(f, 18) = 18 AND rj = 0 THEN 1 ELSE 0 END) AS synack_ok,
    sum(CASE WHEN side = 0 THEN coalesce(pk, 0) ELSE 0 END) AS pk0,
    sum(CASE WHEN side = 1 THEN coalesce(pk, 0) ELSE 0 END) AS pk1,
    min(CASE WHEN ${synOf(0)} THEN coalesce(st, 0) END) AS s0_first,
    max(CASE WHEN ${synOf(0)} THEN coalesce(st, 0) END) AS s0_last,
    sum(CASE WHEN ${synOf(0)} THEN coalesce(pk, 0) END) AS s0_pk,
    min(CASE WHEN ${synOf(1)} THEN coalesce(st, 0) END) AS s1_first,
    max(CASE WHEN ${synOf(1)} THEN coalesce(st, 0) END) AS s1_last,
    sum(CASE WHEN ${synOf(1)} THEN coalesce(pk, 0) END) AS s1_pk
  FROM rec
  GROUP BY GROUPING SETS ((kind), (kind, ka, kap, kb, kbp, conn_ifc), (ifc), (via_s), (via_d), (kind, sk_st, sk_en))
),
conn AS (
  SELECT
    CASE gs WHEN 15 THEN 'conn' WHEN 63 THEN 'kind' WHEN 119 THEN 'iface' WHEN 123 THEN 'via_s' WHEN 125 THEN 'via_d' WHEN 62 THEN 'skip' END AS part,
    kind, ka, kap, kb, kbp, ifc, via_s, via_d, sk_st, sk_en,
    sum(n) AS n, sum(pk_sum) AS pk_sum, sum(bt_sum) AS bt_sum, sum(rj_sum) AS rj_sum, sum(nat_sum) AS nat_sum,
    min(st_min) AS st_min, max(en_max) AS en_max,
    bitwise_or_agg(f0) AS f0, bitwise_or_agg(f1) AS f1, max(synack_ok) AS synack_ok,
    sum(pk0) AS pk0, sum(pk1) AS pk1,
    min(s0_first) AS s0_first,
    max(CASE WHEN s0_last > s0_first THEN 1 ELSE 0 END) AS s0_cross,
    max(CASE WHEN s0_pk > 1 THEN 1 ELSE 0 END) AS s0_many,
    min(s1_first) AS s1_first,
    max(CASE WHEN s1_last > s1_first THEN 1 ELSE 0 END) AS s1_cross,
    max(CASE WHEN s1_pk > 1 THEN 1 ELSE 0 END) AS s1_many
  FROM g1
  WHERE NOT (gs = 15 AND ka IS NULL) AND NOT (gs = 62 AND kind <> 'skipdata') AND NOT (gs = 119 AND ifc IS NULL)
    AND NOT (gs = 123 AND via_s IS NULL) AND NOT (gs = 125 AND via_d IS NULL)
  GROUP BY gs, kind, ka, kap, kb, kbp, ifc, via_s, via_d, sk_st, sk_en
),
gapped AS (
  SELECT *,
    coalesce(f0, 0) AS g0, coalesce(f1, 0) AS g1f,
    -- an unanswered verdict within 60 s of a SKIPDATA window (a window without times touches everything) is low confidence
    max(CASE WHEN part = 'skip' THEN coalesce(sk_en, 9000000000000000000) END)
      OVER (ORDER BY CASE WHEN part = 'skip' THEN coalesce(sk_st, -1) WHEN part = 'conn' THEN coalesce(nullif(en_max, 0), st_min, 0) + 60 ELSE -2 END ASC, CASE WHEN part = 'conn' THEN 1 ELSE 0 END ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS skip_end_before
  FROM conn
),
flags AS (
  SELECT *,
    CASE WHEN bitwise_and(g0, 18) = 2 THEN 1 ELSE 0 END AS syn0,
    CASE WHEN bitwise_and(g1f, 18) = 2 THEN 1 ELSE 0 END AS syn1,
    CASE WHEN bitwise_and(g0, 18) = 18 THEN 1 ELSE 0 END AS sa0,
    CASE WHEN bitwise_and(g1f, 18) = 18 THEN 1 ELSE 0 END AS sa1,
    CASE WHEN bitwise_and(g0, 4) = 4 THEN 1 ELSE 0 END AS rst0,
    CASE WHEN bitwise_and(g1f, 4) = 4 THEN 1 ELSE 0 END AS rst1
  FROM gapped
),
verdict AS (
  SELECT *,
    CASE
      WHEN part <> 'conn' THEN NULL
      WHEN rj_sum > 0 AND synack_ok = 0 THEN 3
      WHEN sa0 = 1 OR sa1 = 1 THEN 0
      WHEN (syn0 = 1 AND rst1 = 1) OR (syn1 = 1 AND rst0 = 1) THEN 1
      WHEN syn0 = 1 OR syn1 = 1 THEN 2
      ELSE 4
    END AS cls,
    CASE
      WHEN rj_sum > 0 AND synack_ok = 0 THEN CASE WHEN syn0 = 1 THEN 0 WHEN syn1 = 1 THEN 1 ELSE -1 END
      WHEN sa0 = 1 AND sa1 = 1 THEN CASE WHEN syn0 = 0 AND syn1 = 1 THEN 1 ELSE 0 END
      WHEN sa1 = 1 THEN 0
      WHEN sa0 = 1 THEN 1
      WHEN syn0 = 1 AND rst1 = 1 THEN 0
      WHEN syn1 = 1 AND rst0 = 1 THEN 1
      WHEN syn0 = 1 THEN 0
      WHEN syn1 = 1 THEN 1
      ELSE -1
    END AS hs_client
  FROM flags
),
judged AS (
  SELECT *,
    CASE WHEN cls = 0 AND bitwise_and(bitwise_or(g0, g1f), 4) = 4 THEN 1 ELSE 0 END AS rst,
    CASE WHEN cls = 0 AND bitwise_and(bitwise_or(g0, g1f), 1) = 1 THEN 1 ELSE 0 END AS closed,
    -- with no handshake to go by, the side with the lower port is taken as the server
    CASE WHEN hs_client >= 0 THEN hs_client WHEN coalesce(kap, 65536) <= coalesce(kbp, 65536) THEN 1 ELSE 0 END AS client,
    CASE WHEN cls = 2 AND skip_end_before >= coalesce(nullif(st_min, 0), en_max, 0) - 60 THEN 1 ELSE 0 END AS low
  FROM verdict
),
placed AS (
  SELECT *,
    CASE WHEN client = 0 THEN kb ELSE ka END AS peer_addr,
    CASE WHEN client = 0 THEN kbp ELSE kap END AS peer_port,
    CASE
      WHEN part <> 'conn' THEN 0
      WHEN client = 0 AND syn0 = 1 THEN CASE WHEN s0_cross = 1 OR (cls <> 0 AND s0_many = 1) THEN 1 ELSE 0 END
      WHEN client = 1 AND syn1 = 1 THEN CASE WHEN s1_cross = 1 OR (cls <> 0 AND s1_many = 1) THEN 1 ELSE 0 END
      ELSE 0
    END AS retried,
    -- the minute of the client's first SYN, else of the first record
    CASE
      WHEN part <> 'conn' THEN NULL
      WHEN hs_client = 0 AND s0_first > 0 THEN s0_first - s0_first % 60
      WHEN hs_client = 1 AND s1_first > 0 THEN s1_first - s1_first % 60
      WHEN st_min > 0 THEN st_min - st_min % 60
    END AS mn
  FROM judged
),
ranked AS (
  SELECT *,
    CASE WHEN cls IN (1, 2, 3) THEN row_number() OVER (
      ORDER BY CASE WHEN cls IN (1, 2, 3) THEN 0 ELSE 1 END ASC, CASE cls WHEN 1 THEN 0 WHEN 2 THEN 1 ELSE 2 END ASC, retried DESC,
        st_min ASC NULLS FIRST, ka ASC, kap ASC NULLS FIRST, kb ASC, kbp ASC NULLS FIRST) END AS fail_rank,
    -- ties at the cut are all kept: the report breaks them by connection id, which is worked out from the rows
    CASE WHEN cls IN (1, 2, 3) THEN rank() OVER (
      ORDER BY CASE WHEN cls IN (1, 2, 3) THEN 0 ELSE 1 END ASC, CASE cls WHEN 1 THEN 0 WHEN 2 THEN 1 ELSE 2 END ASC, retried DESC,
        st_min ASC NULLS FIRST) END AS fail_cut
  FROM placed
),
shown AS (
  SELECT *,
    CASE WHEN part = 'conn' THEN 1 END AS all_conn,
    CASE WHEN part <> 'conn' THEN part END AS other_part,
    CASE WHEN fail_cut <= ${maxFailures} THEN fail_rank END AS fail_key
  FROM ranked
),
totals AS (
  SELECT
    grouping(other_part, mn, peer_addr, fail_key, all_conn) AS gs,
    other_part, kind, ifc, via_s, via_d, all_conn, mn, peer_addr, peer_port, fail_key,
    sum(n) AS n, sum(pk_sum) AS pk_sum, sum(bt_sum) AS bt_sum, sum(rj_sum) AS rj_sum, sum(nat_sum) AS nat_sum,
    min(st_min) AS st_min, max(en_max) AS en_max,
    count(*) AS conns,
    sum(CASE WHEN cls = 0 THEN 1 ELSE 0 END) AS c_established,
    sum(CASE WHEN cls = 1 THEN 1 ELSE 0 END) AS c_refused,
    sum(CASE WHEN cls = 2 THEN 1 ELSE 0 END) AS c_unanswered,
    sum(CASE WHEN cls = 3 THEN 1 ELSE 0 END) AS c_rejected,
    sum(CASE WHEN cls = 4 THEN 1 ELSE 0 END) AS c_midstream,
    sum(rst) AS c_reset, sum(closed) AS c_closed, sum(retried) AS c_retried, sum(low) AS c_low,
    max(ka) AS ka, max(kap) AS kap, max(kb) AS kb, max(kbp) AS kbp, max(client) AS client, max(hs_client) AS hs_client,
    max(g0) AS f0, max(g1f) AS f1, max(pk0) AS pk0, max(pk1) AS pk1
  FROM shown
  GROUP BY GROUPING SETS ((other_part, kind, ifc, via_s, via_d), (all_conn), (mn), (peer_addr, peer_port), (fail_key))
),
answer AS (
  SELECT
    CASE
      WHEN gs = 15 AND other_part = 'kind' THEN 'kind'
      WHEN gs = 15 AND other_part = 'iface' THEN 'iface'
      WHEN gs = 15 AND other_part IN ('via_s', 'via_d') THEN 'via'
      WHEN gs = 30 AND all_conn = 1 THEN 'class'
      WHEN gs = 23 AND mn IS NOT NULL THEN 'minute'
      WHEN gs = 27 AND peer_addr IS NOT NULL THEN 'peer'
      WHEN gs = 29 AND fail_key IS NOT NULL THEN 'failure'
    END AS sec,
    *
  FROM totals
),
peers_ranked AS (
  SELECT *,
    CASE WHEN sec = 'peer' THEN row_number() OVER (PARTITION BY sec ORDER BY c_refused + c_unanswered + c_rejected DESC, c_reset DESC, conns DESC, peer_addr ASC, peer_port ASC NULLS FIRST) END AS peer_rank,
    count(*) OVER (PARTITION BY sec) AS sec_rows
  FROM answer
  WHERE sec IS NOT NULL
)
SELECT
  sec, kind,
  CASE sec WHEN 'iface' THEN ifc WHEN 'via' THEN coalesce(via_s, via_d) WHEN 'peer' THEN peer_addr WHEN 'failure' THEN ka END AS a,
  CASE sec WHEN 'peer' THEN peer_port WHEN 'failure' THEN kap END AS ap,
  CASE sec WHEN 'failure' THEN kb END AS b, CASE sec WHEN 'failure' THEN kbp END AS bp,
  CASE sec WHEN 'minute' THEN mn WHEN 'failure' THEN fail_key WHEN 'peer' THEN sec_rows END AS k,
  n, pk_sum, bt_sum, rj_sum, nat_sum, st_min, en_max, conns,
  c_established, c_refused, c_unanswered, c_rejected, c_midstream, c_reset, c_closed, c_retried, c_low,
  client, hs_client, f0, f1, pk0, pk1
FROM peers_ranked
WHERE sec <> 'peer' OR peer_rank <= ${maxPeers}
ORDER BY sec, k, a, ap`;
}

/** The answer's columns, in order (the header row Athena puts first has these names). */
export const SUMMARY_COLUMNS = [
  'sec', 'kind', 'a', 'ap', 'b', 'bp', 'k',
  'n', 'pk_sum', 'bt_sum', 'rj_sum', 'nat_sum', 'st_min', 'en_max', 'conns',
  'c_established', 'c_refused', 'c_unanswered', 'c_rejected', 'c_midstream', 'c_reset', 'c_closed', 'c_retried', 'c_low',
  'client', 'hs_client', 'f0', 'f1', 'pk0', 'pk1',
] as const;
