using System;
using System.Text;
using SochDb.Policy.Glob;
using SochDb.Policy.Matching;

namespace SochDb.Policy.Engine;

/// <summary>A rule registered at run time: its description, its compiled matcher and its delegate.</summary>
internal sealed class RuntimeRule
{
    public RuntimeRule(PolicyRuleInfo info, GlobMatcher matcher, PolicyHandler? handler, PolicyObserver? observer, long sequence)
    {
        Info = info;
        Matcher = matcher;
        Handler = handler;
        Observer = observer;
        Sequence = sequence;
        GlobSegment first = matcher.Pattern.Segments[0];
        FirstSegment = first.Kind == GlobSegmentKind.Literal ? Encoding.UTF8.GetBytes(first.Literal) : null;
    }

    public PolicyRuleInfo Info { get; }

    public GlobMatcher Matcher { get; }

    /// <summary>Set for triggers that decide (Before*, AfterRead).</summary>
    public PolicyHandler? Handler { get; }

    /// <summary>Set for AfterWrite and AfterDelete.</summary>
    public PolicyObserver? Observer { get; }

    /// <summary>Registration order across the whole engine; dispatch runs matching rules in this order.</summary>
    public long Sequence { get; }

    /// <summary>The pattern's first segment when it is a plain literal (the dispatch group), else null.</summary>
    public byte[]? FirstSegment { get; }
}
