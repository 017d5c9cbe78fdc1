import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router';
import { useNotifyStore } from './stores/notify';
import { useRunsStore } from './stores/runs';
import { useAppStore } from './stores/app';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(router);

// Last line of defence: nothing fails silently.
const notify = useNotifyStore(pinia);
app.config.errorHandler = (err) => {
  console.error(err);
  notify.error(err, 'Unexpected error');
};
window.addEventListener('unhandledrejection', (e) => {
  console.error(e.reason);
  notify.error(e.reason, 'Unexpected error');
});
router.onError((err) => notify.error(err, 'Cannot open the page'));

// Start the first requests before the first render.
void useAppStore(pinia).load();
void useRunsStore(pinia).load();

app.mount('#app');
