import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, errorMessage } from '../api';

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  message: string;
  hint?: string;
}

/** User-visible messages: every failed request ends up here, never swallowed. */
export const useNotifyStore = defineStore('notify', () => {
  const toasts = ref<Toast[]>([]);
  /** Set when the server refuses the token: shown once as a page banner instead of a toast per request. */
  const accessDenied = ref<{ message: string; hint?: string } | null>(null);
  let next = 1;

  function push(kind: Toast['kind'], message: string, hint?: string, ttlMs = kind === 'error' ? 0 : 4000): number {
    // Collapse repeats of the same message.
    const same = toasts.value.find((t) => t.kind === kind && t.message === message);
    if (same) return same.id;
    const id = next++;
    toasts.value.push({ id, kind, message, hint });
    if (toasts.value.length > 5) toasts.value.splice(0, toasts.value.length - 5);
    if (ttlMs > 0) setTimeout(() => dismiss(id), ttlMs);
    return id;
  }

  function error(err: unknown, context?: string): void {
    const { message, hint } = errorMessage(err);
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      accessDenied.value = { message, hint };
      return;
    }
    push('error', context ? `${context}: ${message}` : message, hint);
  }

  function info(message: string): void {
    push('info', message);
  }

  function success(message: string): void {
    push('success', message);
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  function clear(): void {
    toasts.value = [];
  }

  return { toasts, accessDenied, push, error, info, success, dismiss, clear };
});
