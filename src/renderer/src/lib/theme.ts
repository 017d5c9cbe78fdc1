import { computed, ref } from 'vue';

// Dark mode follows the OS (prefers-color-scheme). CSS does the page; charts read the palette below.
const query = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
const dark = ref(query?.matches ?? false);
query?.addEventListener('change', (e) => {
  dark.value = e.matches;
});

export interface ChartPalette {
  text: string;
  muted: string;
  axis: string;
  grid: string;
  tooltipBg: string;
  tooltipBorder: string;
  series: string[];
  heat: string[];
}

const light: ChartPalette = {
  text: '#1f2328',
  muted: '#656d76',
  axis: '#c8ccd1',
  grid: '#eaecef',
  tooltipBg: '#ffffff',
  tooltipBorder: '#d0d7de',
  series: ['#0969da', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989'],
  heat: ['#f6f8fa', '#c6dbef', '#6baed6', '#2171b5', '#08306b'],
};

const darkPalette: ChartPalette = {
  text: '#d4d4d4',
  muted: '#9198a1',
  axis: '#3d444d',
  grid: '#2a2f36',
  tooltipBg: '#1f2428',
  tooltipBorder: '#3d444d',
  series: ['#4fa3ff', '#ff6b6b', '#3fb950', '#d29922', '#a371f7', '#f778ba'],
  heat: ['#161b22', '#0d2d5a', '#1f6feb', '#58a6ff', '#cae8ff'],
};

export function useTheme() {
  return { dark, palette: computed(() => (dark.value ? darkPalette : light)) };
}
