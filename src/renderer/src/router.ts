import { createRouter, createWebHashHistory } from 'vue-router';
import RunsView from './views/RunsView.vue';

// The runs list is the landing page: bundled eagerly so 5,000 rows paint fast; the rest load on demand.
// Hash history: the same build works from file:// (Electron) and http:// (headless server).
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/runs' },
    { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
    {
      path: '/runs/:id(\\d+)',
      name: 'run',
      component: () => import('./views/RunView.vue'),
      props: (route) => ({ id: Number(route.params.id) }),
      meta: { title: 'Run' },
    },
    { path: '/new', name: 'new', component: () => import('./views/NewRunView.vue'), meta: { title: 'New run' } },
    { path: '/compare', name: 'compare', component: () => import('./views/CompareView.vue'), meta: { title: 'Compare' } },
    { path: '/datasets', name: 'datasets', component: () => import('./views/DatasetsView.vue'), meta: { title: 'Datasets' } },
    { path: '/diagnostics', name: 'diagnostics', component: () => import('./views/DiagnosticsView.vue'), meta: { title: 'Diagnostics' } },
    { path: '/workers', name: 'workers', component: () => import('./views/WorkersView.vue'), meta: { title: 'Workers' } },
    { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { title: 'Settings' } },
    { path: '/:rest(.*)*', redirect: '/runs' },
  ],
});
