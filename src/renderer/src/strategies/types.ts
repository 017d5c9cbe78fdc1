import type { Component } from 'vue';
import type { RunDetail } from '../../../shared/api';

/** What a panel may look at to decide whether it has something to show. */
export interface PanelContext {
  detail: RunDetail;
  eigenvalueCount: number;
  decisionCount: number;
}

export interface RunPanel {
  id: string;
  component: Component;
  /** Shown only when this holds (default: always). */
  when?: (ctx: PanelContext) => boolean;
  /** Spans the full width of the run view's panel grid. */
  wide?: boolean;
}

export interface PlannedEpochs {
  epochs: number;
  /** The run can end earlier (SGAS-es decides when λ_max says so). */
  upperBound: boolean;
}

/** The renderer's side of a strategy (ARCHITECTURE §8): its form and run-view panels, found by name. */
export interface RendererStrategy {
  /** A custom options form; without one the form renders the options schema's fields. */
  optionsForm?: Component;
  /** Options shown before the collapsible "advanced" group, in this order. */
  primaryOptions: readonly string[];
  /** Epochs the run trains, from its options and the space's decision count (edges fixed per cell type). */
  plannedEpochs(options: Record<string, unknown>, decisions: number): PlannedEpochs;
  /** Panels the run view mounts below the common curves, in order. */
  runPanels: readonly RunPanel[];
}
