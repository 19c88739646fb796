namespace SochDb.Policy.Dashboard;

/// <summary>The one stylesheet, served by the group at <c>dashboard.css</c> (no inline style or script on any page).</summary>
internal static class DashboardCss
{
    public const string Text = """
        :root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde6; --accent: #2454c5; --bad: #b3261e; --good: #1b6e3a; --warn: #8a5a00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7fa; }
        header { background: #1d2330; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
        header h1 { font-size: 16px; margin: 0; font-weight: 600; }
        header nav a { color: #c9d4ff; margin-right: 16px; text-decoration: none; }
        header nav a.current { color: #fff; font-weight: 600; border-bottom: 2px solid #fff; }
        main { padding: 16px 24px; }
        h2 { font-size: 18px; margin: 4px 0 12px; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f6; font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
        td.key, td.mono, code { font-family: ui-monospace, "Cascadia Mono", Menlo, monospace; font-size: 13px; overflow-wrap: anywhere; }
        td.preview { font-family: ui-monospace, Menlo, monospace; font-size: 12px; color: var(--muted); white-space: pre-wrap; max-width: 320px; }
        .result-denied, .result-failed, .result-ratelimited { color: var(--bad); font-weight: 600; }
        .result-allowed { color: var(--good); }
        .result-wouldDeny, .result-approvalrequired, .result-modified { color: var(--warn); font-weight: 600; }
        form.decide { display: flex; gap: 6px; align-items: center; }
        form.decide input[type=text] { width: 160px; }
        form.filters { display: flex; gap: 10px; flex-wrap: wrap; margin-bottom: 12px; align-items: end; }
        form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
        button { border: 1px solid var(--line); background: #fff; padding: 4px 10px; border-radius: 4px; cursor: pointer; }
        button.approve { background: var(--good); color: #fff; border-color: var(--good); }
        button.reject { background: #fff; color: var(--bad); border-color: var(--bad); }
        .notice { padding: 8px 12px; border-radius: 4px; margin-bottom: 12px; background: #e8eefc; border: 1px solid #c5d3f5; }
        .notice.bad { background: #fbeaea; border-color: #efc2bf; }
        .empty { color: var(--muted); padding: 16px; background: #fff; border: 1px solid var(--line); }
        .pager { margin-top: 10px; }
        .muted { color: var(--muted); }
        """;
}
