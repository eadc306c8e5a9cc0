import { Link } from "@tanstack/react-router";

export function NotFound() {
  return (
    <div className="mx-auto flex max-w-lg flex-col items-center px-4 py-20 text-center">
      <p className="text-sm font-semibold text-indigo-700 dark:text-indigo-300">404</p>
      <h1 className="mt-1 text-2xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm muted">The page you asked for does not exist in the console.</p>
      <Link to="/" className="mt-6 link">
        Back to the start
      </Link>
    </div>
  );
}
