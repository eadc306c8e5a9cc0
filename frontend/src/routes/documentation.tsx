import { createFileRoute } from "@tanstack/react-router";
import { ExternalLink } from "lucide-react";
import type { ReactNode } from "react";
import { CodeBlock } from "@/components/CodeBlock";
import { AppShell } from "@/components/layout/AppShell";
import { PublicShell } from "@/components/layout/PublicShell";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { PageHeader } from "@/components/ui/PageHeader";
import { useSession } from "@/hooks/useSession";
import { session } from "@/lib/session";

export const Route = createFileRoute("/documentation")({
  beforeLoad: () => session.restore(),
  component: DocumentationPage,
});

const SECTIONS = [
  { id: "authenticate", title: "Authenticate" },
  { id: "api-keys", title: "API keys" },
  { id: "predict", title: "Predict one customer" },
  { id: "batch", title: "Batch CSV" },
  { id: "reference", title: "API reference" },
];

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Card aria-labelledby={id} className="scroll-mt-20">
      <CardHeader id={id} title={title} />
      <CardBody className="space-y-3 text-sm leading-relaxed">{children}</CardBody>
    </Card>
  );
}

export function snippets(origin: string) {
  return {
    login: `BASE=${origin}
TOKEN=$(curl -s -X POST $BASE/auth/login -H 'Content-Type: application/json' \\
  -d '{"username":"ann","password":"Passw0rd-1"}' \\
  | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
curl -s $BASE/auth/me -H "Authorization: Bearer $TOKEN"`,
    refresh: `curl -s -X POST ${origin}/auth/refresh -H 'Content-Type: application/json' \\
  -d '{"refresh_token":"<refresh_token from the login answer>"}'`,
    apiKey: `curl -s -X POST ${origin}/predict -H "X-API-Key: $API_KEY" \\
  -H 'Content-Type: application/json' \\
  -d '{"sex":"Female","age":31,"annual_income":72,"spending_score":81,"purchase_frequency":24}'`,
    predict: `curl -s -X POST ${origin}/predict -H "Authorization: Bearer $TOKEN" \\
  -H 'Content-Type: application/json' \\
  -d '{"sex":"Female","age":31,"annual_income":72,"spending_score":81,"purchase_frequency":24}'
# → {"cluster":2,"cluster_name":"High Value Customers","confidence":63.4,"model_version":"v1-…",…}`,
    batch: `# customers.csv: sex,age,annual_income,spending_score,purchase_frequency
curl -s -X POST ${origin}/predict/batch -H "X-API-Key: $API_KEY" \\
  -H 'Accept: text/csv' -F file=@customers.csv -o customers-scored.csv

# the same as JSON, with refused rows and their reason
curl -s -X POST ${origin}/predict/batch -H "X-API-Key: $API_KEY" -F file=@customers.csv`,
  };
}

function DocumentationPage() {
  const { status } = useSession();
  const origin = window.location.origin;
  const code = snippets(origin);
  const content = (
    <>
      <PageHeader
        title="Documentation"
        description="How to use the API from scripts and other tools. Every example is ready to run against this server."
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-4">
        <nav aria-label="On this page" className="lg:sticky lg:top-8 lg:self-start">
          <ul className="flex flex-wrap gap-2 text-sm lg:flex-col lg:gap-1">
            {SECTIONS.map((s) => (
              <li key={s.id}>
                <a href={`#${s.id}`} className="link">
                  {s.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="min-w-0 space-y-6 lg:col-span-3">
          <Section id="authenticate" title="Authenticate">
            <p>
              Log in with your username (or email) and password to get an{" "}
              <strong>access token</strong> (valid {30} minutes by default) and send it as{" "}
              <code>Authorization: Bearer &lt;token&gt;</code>. After 5 wrong passwords in 15
              minutes an account is locked for the rest of that window (the answer is 429 with{" "}
              <code>Retry-After</code>).
            </p>
            <CodeBlock label="Log in and call the API" code={code.login} />
            <p>
              The login answer also has a refresh token. Exchange it for a new pair before the
              access token expires; each refresh token works once.
            </p>
            <CodeBlock label="Refresh the token" code={code.refresh} />
          </Section>
          <Section id="api-keys" title="API keys">
            <p>
              For scripts, create a key on the <strong>API keys</strong> page. It acts as you, with
              an optional daily quota of predictions (one per row of a batch), and can be revoked at
              any time. Send it as <code>X-API-Key</code> or as a Bearer token.
            </p>
            <CodeBlock label="Predict with an API key" code={code.apiKey} />
          </Section>
          <Section id="predict" title="Predict one customer">
            <p>
              Inputs: <code>sex</code> (Male/Female), <code>age</code> 18–100,{" "}
              <code>annual_income</code> 0–10,000 (thousands per year), <code>spending_score</code>{" "}
              1–100, <code>purchase_frequency</code> 0–365 per year. The answer has the segment, its
              name and a confidence from 0 to 100.
            </p>
            <CodeBlock label="Predict one customer" code={code.predict} />
          </Section>
          <Section id="batch" title="Batch CSV">
            <p>
              Upload a CSV with a header row; any size is streamed. With{" "}
              <code>Accept: text/csv</code> you get your file back with <code>cluster</code>,{" "}
              <code>cluster_name</code> and <code>confidence</code> appended (empty for refused
              rows); without it, JSON with the results and each refused row's reason. The Mall
              Customers headers (Genre, Annual Income (k$), Spending Score (1-100)) are understood;
              add <code>?fill_purchase_frequency=12</code> when the file has no purchase frequency.
            </p>
            <CodeBlock label="Score a CSV file" code={code.batch} />
          </Section>
          <Section id="reference" title="API reference">
            <p>
              Every endpoint, with its parameters and answers, generated from the running services:
            </p>
            <ul className="space-y-1">
              <li>
                <a className="link inline-flex items-center gap-1" href="/docs">
                  Swagger UI (/docs) <ExternalLink className="size-3.5" aria-hidden="true" />
                </a>{" "}
                — try requests from the browser.
              </li>
              <li>
                <a className="link inline-flex items-center gap-1" href="/redoc">
                  ReDoc (/redoc) <ExternalLink className="size-3.5" aria-hidden="true" />
                </a>{" "}
                — a readable reference.
              </li>
              <li>
                <a className="link" href="/openapi.json">
                  /openapi.json
                </a>{" "}
                — the machine-readable contract.
              </li>
            </ul>
          </Section>
        </div>
      </div>
    </>
  );
  if (status === "authenticated") return <AppShell>{content}</AppShell>;
  return (
    <PublicShell>
      <div className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{content}</div>
    </PublicShell>
  );
}
