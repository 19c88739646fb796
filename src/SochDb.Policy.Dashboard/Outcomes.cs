namespace SochDb.Policy.Dashboard;

/// <summary>
/// What a decision did, passed to the page after the redirect as a fixed code (never an exception's text, which could
/// carry a key in clear): the page shows the matching sentence.
/// </summary>
internal static class Outcomes
{
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Unknown = "unknown";
    public const string AlreadyUsed = "already-used";
    public const string AlreadyRejected = "already-rejected";
    public const string Expired = "expired";
    public const string Refused = "refused";
    public const string RateLimited = "rate-limited";
    public const string StoreUnavailable = "store-unavailable";
    public const string BadForm = "bad-form";

    public static (string Text, bool Bad)? Describe(string? outcome) => outcome switch
    {
        Approved => ("Approved: the operation ran once.", false),
        Rejected => ("Rejected: the operation will never run.", false),
        Unknown => ("No such approval: nothing ran.", true),
        AlreadyUsed => ("That approval was already used: nothing ran again.", true),
        AlreadyRejected => ("That approval was rejected: nothing ran.", true),
        Expired => ("That approval has expired: nothing ran.", true),
        Refused => ("Approved, but the policy refused the operation when it ran (a rule as it stands now): nothing was changed. See the decision log.", true),
        RateLimited => ("Approved, but a rate limit refused the operation when it ran: nothing was changed.", true),
        StoreUnavailable => ("The approval store is unavailable: nothing ran and the request is unchanged. Try again later.", true),
        BadForm => ("The form was incomplete: choose Approve or Reject.", true),
        _ => null,
    };

    /// <summary>Why a decision was refused as not pending, from the request's state then (null: no such request).</summary>
    public static string NotPending(ApprovalState? state) => state switch
    {
        null => Unknown,
        ApprovalState.Executed => AlreadyUsed,
        ApprovalState.Rejected => AlreadyRejected,
        _ => Expired,
    };
}
