/**
 * Aligned columns without borders, readable in any terminal and in a pasted ticket.
 * Cells may carry ANSI colour: widths are measured without it.
 */
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: Column[], rows: string[][], indent = '  '): string {
  const widths = columns.map((column, i) => Math.max(visibleWidth(column.header), ...rows.map((row) => visibleWidth(row[i] ?? ''))));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - visibleWidth(cell));
        return columns[i].align === 'right' ? pad + cell : cell + (i === cells.length - 1 ? '' : pad);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n');
}

/** 12345 → "12,345" */
export function num(value: number): string {
  return value.toLocaleString('en-US');
}
