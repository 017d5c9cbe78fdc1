// One colour per candidate op, the same in the cell graph, the heat map legend and everywhere else.
const COLORS: Record<string, string> = {
  none: '#8c959f',
  skip_connect: '#8250df',
  nor_conv_1x1: '#2f81f7',
  nor_conv_3x3: '#0550ae',
  avg_pool_3x3: '#1a7f37',
  max_pool_3x3: '#bf8700',
  sep_conv_3x3: '#2f81f7',
  sep_conv_5x5: '#0550ae',
  dil_conv_3x3: '#e16f24',
  dil_conv_5x5: '#c4432b',
};

// Lighter variants for a dark background.
const DARK: Record<string, string> = {
  none: '#6e7681',
  skip_connect: '#a371f7',
  nor_conv_1x1: '#79c0ff',
  nor_conv_3x3: '#4fa3ff',
  avg_pool_3x3: '#3fb950',
  max_pool_3x3: '#d29922',
  sep_conv_3x3: '#79c0ff',
  sep_conv_5x5: '#4fa3ff',
  dil_conv_3x3: '#f0883e',
  dil_conv_5x5: '#ff7b72',
};

const FALLBACK = ['#2f81f7', '#e16f24', '#1a7f37', '#8250df', '#bf3989', '#0550ae'];

export function opColor(op: string, dark = false): string {
  const table = dark ? DARK : COLORS;
  if (table[op]) return table[op];
  let h = 0;
  for (const c of op) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

/** Short op names for narrow axes: nor_conv_3x3 → conv3x3, sep_conv_5x5 → sep5x5. */
export function shortOp(op: string): string {
  return op
    .replace('nor_conv_', 'conv')
    .replace('sep_conv_', 'sep')
    .replace('dil_conv_', 'dil')
    .replace('avg_pool_', 'avg')
    .replace('max_pool_', 'max')
    .replace('skip_connect', 'skip');
}
