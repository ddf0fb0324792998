import { createRouter, createWebHistory } from "vue-router";

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/", redirect: "/flows" },
    { path: "/dashboard", name: "dashboard", component: () => import("./pages/DashboardPage.vue") },
    { path: "/flows", name: "flows", component: () => import("./pages/FlowsPage.vue") },
    { path: "/flows/new", name: "flow-new", component: () => import("./pages/FlowPage.vue") },
    {
      path: "/flows/:namespace/:id/:tab?",
      name: "flow",
      component: () => import("./pages/FlowPage.vue"),
      props: true,
    },
    { path: "/executions", name: "executions", component: () => import("./pages/ExecutionsPage.vue") },
    {
      path: "/executions/:id/:tab?",
      name: "execution",
      component: () => import("./pages/ExecutionPage.vue"),
      props: true,
    },
    { path: "/logs", name: "logs", component: () => import("./pages/LogsPage.vue") },
    { path: "/login", name: "login", component: () => import("./pages/LoginPage.vue") },
    { path: "/:rest(.*)*", name: "not-found", component: () => import("./pages/NotFoundPage.vue") },
  ],
});
