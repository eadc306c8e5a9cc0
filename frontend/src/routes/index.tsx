import { createFileRoute, Link } from "@tanstack/react-router";
import { BarChart3, FileSpreadsheet, KeyRound, ShieldCheck, Sparkles, Target } from "lucide-react";
import { PublicShell } from "@/components/layout/PublicShell";
import { useSession } from "@/hooks/useSession";
import { session } from "@/lib/session";

export const Route = createFileRoute("/")({
  beforeLoad: () => session.restore(),
  component: HomePage,
});

const FEATURES = [
  {
    icon: Target,
    title: "Predict a customer's segment",
    text: "Enter age, income, spending score and purchase frequency; get the segment, how confident the model is and what sets that segment apart.",
  },
  {
    icon: BarChart3,
    title: "See your segments",
    text: "Cluster sizes, income × spending maps with centroids, and every prediction you made, filterable and exportable as CSV.",
  },
  {
    icon: FileSpreadsheet,
    title: "Score whole files",
    text: "Upload a CSV of any size and download it scored, with the rows that could not be scored listed with their reason.",
  },
  {
    icon: Sparkles,
    title: "Train and version models",
    text: "Analysts upload datasets, train with automatic choice of k (elbow and silhouette), compare versions and roll back.",
  },
  {
    icon: KeyRound,
    title: "Automate with API keys",
    text: "Scripts call the same API with a key and a daily quota; the documentation shows ready-to-run curl commands.",
  },
  {
    icon: ShieldCheck,
    title: "Built for teams",
    text: "Roles for users, analysts and admins; admins manage accounts, see platform statistics and the audit log.",
  },
];

function HomePage() {
  const { status } = useSession();
  return (
    <PublicShell>
      <section className="border-b border-slate-200 bg-gradient-to-b from-indigo-50 to-slate-50 dark:border-slate-800 dark:from-indigo-950/40 dark:to-slate-950">
        <div className="mx-auto max-w-6xl px-4 py-16 sm:px-6 sm:py-24">
          <p className="text-sm font-semibold text-indigo-700 dark:text-indigo-300">
            Customer segmentation platform
          </p>
          <h1 className="mt-2 max-w-3xl text-3xl font-semibold tracking-tight text-slate-900 sm:text-5xl dark:text-white">
            Know which customers you have, and what each of them needs.
          </h1>
          <p className="mt-4 max-w-2xl text-base muted sm:text-lg">
            K-Means segmentation of your customers by age, income, spending and purchase frequency:
            predict one customer in real time, score whole files, and keep models, history and teams
            in one place.
          </p>
          <div className="mt-8 flex flex-wrap gap-3">
            {status === "authenticated" ? (
              <Link
                to="/dashboard"
                className="inline-flex h-11 items-center rounded-lg bg-indigo-600 px-5 text-sm font-medium text-white shadow-sm hover:bg-indigo-700 dark:bg-indigo-400 dark:text-slate-950 dark:hover:bg-indigo-300"
              >
                Open the dashboard
              </Link>
            ) : (
              <>
                <Link
                  to="/register"
                  className="inline-flex h-11 items-center rounded-lg bg-indigo-600 px-5 text-sm font-medium text-white shadow-sm hover:bg-indigo-700 dark:bg-indigo-400 dark:text-slate-950 dark:hover:bg-indigo-300"
                >
                  Create a free account
                </Link>
                <Link
                  to="/login"
                  className="inline-flex h-11 items-center rounded-lg border border-slate-300 bg-white px-5 text-sm font-medium text-slate-800 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800"
                >
                  Sign in
                </Link>
              </>
            )}
          </div>
        </div>
      </section>
      <section aria-labelledby="features" className="mx-auto max-w-6xl px-4 py-14 sm:px-6">
        <h2 id="features" className="text-xl font-semibold">
          What you can do
        </h2>
        <ul className="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {FEATURES.map((feature) => (
            <li key={feature.title} className="card p-5">
              <feature.icon
                className="size-5 text-indigo-700 dark:text-indigo-300"
                aria-hidden="true"
              />
              <h3 className="mt-3 font-semibold">{feature.title}</h3>
              <p className="mt-1 text-sm muted">{feature.text}</p>
            </li>
          ))}
        </ul>
      </section>
    </PublicShell>
  );
}
