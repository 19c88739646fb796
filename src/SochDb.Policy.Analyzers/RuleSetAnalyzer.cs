using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SochDb.Policy.Analysis;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Analyses the rules of one policy class as a set, in dispatch order (by <c>Order</c>, then class-level attributes,
/// then methods in declaration order), with the engine's own set analysis: rules that never run (SOCH0014), rules
/// that repeat another (SOCH0015), denials that leave their parent key open (SOCH0016), approvals and redactions
/// never reached (SOCH0017). It sees one class at a time: the order of compiled sets is the engine's, so
/// <c>PolicyEngine.Analyze()</c> covers what crosses classes, configuration and run-time rules.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RuleSetAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.UnreachableRule,
        DiagnosticDescriptors.EquivalentRule,
        DiagnosticDescriptors.OpenParent,
        DiagnosticDescriptors.NeverReached);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        PolicySymbols.RegisterWhenReferenced(context, (start, symbols) =>
        {
            start.RegisterSymbolStartAction(s => OnType(s, symbols), SymbolKind.NamedType);
        });
    }

    private static void OnType(SymbolStartAnalysisContext context, PolicySymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!symbols.HoldsRules(type))
        {
            return;
        }

        // What each handler's body returns, read from its operations as the compiler delivers them.
        var verdicts = new ConcurrentDictionary<IMethodSymbol, HandlerVerdicts>(SymbolEqualityComparer.Default);
        context.RegisterOperationBlockAction(block =>
        {
            if (block.OwningSymbol is IMethodSymbol method && SymbolEqualityComparer.Default.Equals(method.ContainingType, type) && symbols.IsHandler(method))
            {
                foreach (IOperation operation in block.OperationBlocks)
                {
                    if (HandlerVerdicts.TryOfMethod(operation, out HandlerVerdicts verdict))
                    {
                        verdicts[method] = verdict;
                    }
                }
            }
        });
        context.RegisterSymbolEndAction(end => Analyze(end, type, symbols, verdicts));
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol type, PolicySymbols symbols, ConcurrentDictionary<IMethodSymbol, HandlerVerdicts> verdicts)
    {
        List<DeclaredRule> declared = Collect(type, symbols, verdicts, context.CancellationToken);
        if (declared.Count == 0)
        {
            return;
        }

        declared.Sort(static (a, b) => a.Position.CompareTo(b.Position));
        var rules = new AnalysedRule[declared.Count];
        for (int i = 0; i < rules.Length; i++)
        {
            rules[i] = declared[i].Rule;
        }

        // Identical (trigger, pattern) pairs on one method or one attribute are SOCH0008's; the rest is ours.
        RuleSetAnalysis.Result result = RuleSetAnalysis.Analyze(rules, skipIdenticalDuplicates: true);
        foreach (RuleFinding finding in result.Findings)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            DeclaredRule rule = declared[finding.Rule];
            DiagnosticDescriptor descriptor = finding.Id switch
            {
                RuleSetAnalysis.UnreachableId => DiagnosticDescriptors.UnreachableRule,
                RuleSetAnalysis.DuplicateId => DiagnosticDescriptors.EquivalentRule,
                RuleSetAnalysis.OpenParentId => DiagnosticDescriptors.OpenParent,
                _ => DiagnosticDescriptors.NeverReached,
            };
            ImmutableDictionary<string, string?>? properties = finding.ParentPattern is { } parent
                ? ImmutableDictionary<string, string?>.Empty.Add(DiagnosticIds.ParentPatternProperty, parent)
                : null;
            context.ReportDiagnostic(Diagnostic.Create(
                descriptor,
                rule.PatternLocation,
                finding.Others.Select(o => declared[o].PatternLocation),
                properties,
                finding.Arguments));
        }
    }

    /// <summary>Every rule the class declares, with what the analysis needs and where its pattern is written.</summary>
    private static List<DeclaredRule> Collect(
        INamedTypeSymbol type, PolicySymbols symbols, ConcurrentDictionary<IMethodSymbol, HandlerVerdicts> verdicts, CancellationToken cancellationToken)
    {
        var rules = new List<DeclaredRule>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (ClassLevel(type, attribute, symbols, cancellationToken) is { } rule)
            {
                rules.Add(rule);
            }
        }

        foreach (ISymbol member in type.GetMembers())
        {
            if (member is not IMethodSymbol method || !symbols.IsHandler(method))
            {
                continue;
            }

            verdicts.TryGetValue(method, out HandlerVerdicts verdict);
            foreach (AttributeData attribute in method.GetAttributes())
            {
                if (symbols.HandlerTrigger(attribute) is not { } trigger
                    || !TryPattern(attribute, 0, cancellationToken, out string pattern, out AttributeSyntax? syntax, out Location location))
                {
                    continue;
                }

                RuleEffect effect = !PolicyTriggerRules.CanDeny(trigger) ? RuleEffect.Observes
                    : verdict.AlwaysDenies ? RuleEffect.AlwaysDenies
                    : verdict.MayRequireApproval ? RuleEffect.RequiresApproval
                    : verdict.MayModify ? RuleEffect.Modifies
                    : RuleEffect.Decides;
                string display = "[" + syntax + "] on " + method.Name;
                rules.Add(new DeclaredRule(
                    new AnalysedRule((int)trigger, pattern, effect, "method:" + method.Name, true, display),
                    Position(type, syntax!, method: true, Order(attribute)),
                    location));
            }
        }

        return rules;
    }

    private static DeclaredRule? ClassLevel(INamedTypeSymbol type, AttributeData attribute, PolicySymbols symbols, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? attributeType = attribute.AttributeClass;
        RuleEffect effect;
        int trigger;
        int patternIndex = 1;
        string? identity;
        if (SymbolEqualityComparer.Default.Equals(attributeType, symbols.RedactAttribute))
        {
            effect = RuleEffect.Modifies;
            trigger = (int)PolicyTriggerKind.AfterRead;
            patternIndex = 0;
            identity = "Redact:" + Text(attribute, 1);
        }
        else if (SymbolEqualityComparer.Default.Equals(attributeType, symbols.DenyAllAttribute)
                 || SymbolEqualityComparer.Default.Equals(attributeType, symbols.RequireAgentIdAttribute)
                 || SymbolEqualityComparer.Default.Equals(attributeType, symbols.RequireApprovalAttribute))
        {
            if (attribute.ConstructorArguments.Length < 2 || attribute.ConstructorArguments[0].Value is not int value
                || !PolicyTriggerRules.IsDefined(value) || !PolicyTriggerRules.CanDeny((PolicyTriggerKind)value))
            {
                return null; // SOCH0011 explains it; the generator leaves it out
            }

            trigger = value;
            bool approval = SymbolEqualityComparer.Default.Equals(attributeType, symbols.RequireApprovalAttribute);
            bool deny = SymbolEqualityComparer.Default.Equals(attributeType, symbols.DenyAllAttribute);
            effect = approval ? RuleEffect.RequiresApproval : deny ? RuleEffect.AlwaysDenies : RuleEffect.Decides;
            identity = approval ? "RequireApproval:" + Text(attribute, 2) : deny ? "DenyAll" : "RequireAgentId";
        }
        else
        {
            return null;
        }

        if (!TryPattern(attribute, patternIndex, cancellationToken, out string pattern, out AttributeSyntax? syntax, out Location location))
        {
            return null;
        }

        string display = "[" + syntax + "]";
        return new DeclaredRule(
            new AnalysedRule(trigger, pattern, effect, identity, true, display),
            Position(type, syntax!, method: false, Order(attribute)),
            location);
    }

    private static string Text(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index && attribute.ConstructorArguments[index].Value is string text ? text : "";

    private static bool TryPattern(AttributeData attribute, int index, CancellationToken cancellationToken,
        out string pattern, out AttributeSyntax? syntax, out Location location)
    {
        pattern = "";
        location = Location.None;
        syntax = AttributeArguments.Syntax(attribute, cancellationToken);
        if (syntax is null || attribute.ConstructorArguments.Length <= index || attribute.ConstructorArguments[index].Value is not string text)
        {
            return false;
        }

        pattern = text;
        location = AttributeArguments.LocationOf(AttributeArguments.Constructor(syntax, attribute, index), syntax);
        return true;
    }

    private static int Order(AttributeData attribute)
    {
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key == "Order" && named.Value.Value is int order)
            {
                return order;
            }
        }

        return 0;
    }

    /// <summary>The generator's dispatch order: <c>Order</c>, then class-level before methods, then partial declaration, member, attribute.</summary>
    private static RulePosition Position(INamedTypeSymbol type, AttributeSyntax syntax, bool method, int order)
    {
        SyntaxNode? owner = syntax.Parent?.Parent;
        TypeDeclarationSyntax? declaration = method ? owner?.Parent as TypeDeclarationSyntax : owner as TypeDeclarationSyntax;
        int declarationIndex = 0;
        if (declaration is not null)
        {
            ImmutableArray<SyntaxReference> references = type.DeclaringSyntaxReferences;
            for (int i = 0; i < references.Length; i++)
            {
                if (references[i].SyntaxTree == declaration.SyntaxTree && references[i].Span == declaration.Span)
                {
                    declarationIndex = i;
                }
            }
        }

        int memberIndex = method && declaration is not null && owner is MemberDeclarationSyntax member ? declaration.Members.IndexOf(member) : 0;
        int attributeIndex = owner is MemberDeclarationSyntax withAttributes ? AttributeIndex(withAttributes.AttributeLists, syntax) : 0;
        return new RulePosition(order, method ? 1 : 0, declarationIndex, memberIndex, attributeIndex);
    }

    /// <summary>The attribute's index among every attribute written on the declaration (all kinds, in source order).</summary>
    private static int AttributeIndex(SyntaxList<AttributeListSyntax> lists, AttributeSyntax syntax)
    {
        int index = 0;
        foreach (AttributeListSyntax list in lists)
        {
            foreach (AttributeSyntax candidate in list.Attributes)
            {
                if (candidate == syntax)
                {
                    return index;
                }

                index++;
            }
        }

        return index;
    }

    private readonly struct RulePosition
    {
        private readonly int _order;
        private readonly int _group;
        private readonly int _declaration;
        private readonly int _member;
        private readonly int _attribute;

        public RulePosition(int order, int group, int declaration, int member, int attribute)
        {
            _order = order;
            _group = group;
            _declaration = declaration;
            _member = member;
            _attribute = attribute;
        }

        public int CompareTo(RulePosition other)
        {
            int c = _order.CompareTo(other._order);
            if (c == 0)
            {
                c = _group.CompareTo(other._group);
            }

            if (c == 0)
            {
                c = _declaration.CompareTo(other._declaration);
            }

            if (c == 0)
            {
                c = _member.CompareTo(other._member);
            }

            return c != 0 ? c : _attribute.CompareTo(other._attribute);
        }
    }

    private sealed class DeclaredRule
    {
        public DeclaredRule(AnalysedRule rule, RulePosition position, Location patternLocation)
        {
            Rule = rule;
            Position = position;
            PatternLocation = patternLocation;
        }

        public AnalysedRule Rule { get; }

        public RulePosition Position { get; }

        public Location PatternLocation { get; }
    }
}
