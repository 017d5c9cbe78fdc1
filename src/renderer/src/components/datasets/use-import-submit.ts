import { ref } from 'vue';
import type { Dataset } from '../../../../shared/api';
import { errorMessage } from '../../api';

export type ServerError = { message: string; hint?: string };

/**
 * The submit flow of a dataset import form: mark the form submitted (so field errors show), start the import
 * when the fields are valid (start returns null when they are not), and keep the server's refusal to show.
 */
export function useImportSubmit(start: () => Promise<Dataset> | null, imported: (dataset: Dataset) => void) {
  const submitted = ref(false);
  const serverError = ref<ServerError | null>(null);
  async function submit(): Promise<void> {
    submitted.value = true;
    serverError.value = null;
    const pending = start();
    if (!pending) return;
    try {
      const d = await pending;
      submitted.value = false;
      imported(d);
    } catch (e) {
      serverError.value = errorMessage(e);
    }
  }
  return { submitted, serverError, submit };
}
