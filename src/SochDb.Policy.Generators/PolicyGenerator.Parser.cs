using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SochDb.Policy.Generators.Model;
using SochDb.Policy.Glob;
using SochDb.Policy.Roslyn;

namespace SochDb.Policy.Generators;

public sealed partial class PolicyGenerator
{
    /// <summary>
    /// Turns attributes into equatable specs. Anything the generator cannot emit (bad glob, wrong handler signature,
    /// non-partial or generic containing type, a name clash with the generated members) becomes a
    /// <see cref="RejectedRule"/> instead: an invalid pattern is reported here (SOCH0001, not configurable); the
    /// rest the analyzers explain, and the emitted <c>#error</c> keeps it from ever being dropped silently when an
    /// analyzer is suppressed.
    /// </summary>
    internal static class Parser
    {
        /// <summary>
        /// Predicate for handler attributes (cheap, syntax only): methods, and the places the attribute compiles but the
        /// dispatch never looks (local functions, lambdas, accessors, operators), so those are rejected rather than ignored.
        /// </summary>
        public static bool IsHandlerTarget(SyntaxNode node, CancellationToken _) =>
            node is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax;

        /// <summary>Predicate for class-level attributes: a type declaration (every kind, so a wrong kind is rejected, not ignored).</summary>
        public static bool IsType(SyntaxNode node, CancellationToken _) => node is BaseTypeDeclarationSyntax;

        /// <summary>The rules one method contributes through one attribute type (several when the attribute repeats).</summary>
        public static RuleSource? ParseHandler(GeneratorAttributeSyntaxContext context, PolicyTriggerKind trigger, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not IMethodSymbol method
                || context.TargetNode is not MethodDeclarationSyntax syntax
                || syntax.Parent is not TypeDeclarationSyntax typeSyntax
                || method.ContainingType is not { } containingType)
            {
                // The analyzers report the patterns of local functions and lambdas beside SOCH0012; any other target's here.
                bool inBody = context.TargetNode is LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax;
                return RejectAll(context, null, NotAMethodTarget(context), NotAMethodReason(context.TargetNode), inBody ? -1 : 0, cancellationToken);
            }

            // The same verdict the analyzers report SOCH0002-SOCH0005 from: what they reject for this trigger is left out.
            TypeSpec? type = GetTypeSpec(containingType, cancellationToken, out string? typeProblem);
            HandlerSignature signature = HandlerSignature.Of(method);
            string? problem = typeProblem ?? SignatureProblem(signature, trigger);
            if (problem is not null || signature is not { Parameters: { } parameters, Return: { } returns })
            {
                return RejectAll(context, type, TypeName(containingType) + "." + method.Name, problem ?? "its signature cannot be called", 0, cancellationToken);
            }

            int declarationIndex = DeclarationIndex(containingType, typeSyntax);
            int memberIndex = typeSyntax.Members.IndexOf(syntax);
            bool alwaysDenies = HandlerVerdicts.TryOfMethod(context.SemanticModel.GetOperation(syntax, cancellationToken), out HandlerVerdicts verdicts)
                && verdicts.AlwaysDenies;
            var rules = new List<RuleSpec>();
            var rejected = new List<RejectedRule>();
            foreach (AttributeData attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (PatternProblem(attribute, 0, cancellationToken, out InvalidPattern? invalid) is { } patternProblem)
                {
                    rejected.Add(new RejectedRule(AttributeText(attribute), TypeName(containingType) + "." + method.Name, patternProblem, invalid));
                    continue;
                }

                TryGetString(attribute, 0, out string pattern);
                var position = new DeclarationPosition(
                    DeclarationPosition.Method, declarationIndex, memberIndex, AttributeIndex(syntax.AttributeLists, attribute));
                rules.Add(new RuleSpec(RuleKind.Handler, trigger, pattern, GetOrder(attribute), method.Name, parameters, returns, "", position, alwaysDenies));
            }

            return Source(type, rules, new List<RateLimitSpec>(), rejected);
        }

        /// <summary>The rules one type declaration contributes through one class-level attribute type.</summary>
        public static RuleSource? ParseClassLevel(GeneratorAttributeSyntaxContext context, RuleKind kind, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol typeSymbol)
            {
                return null;
            }

            TypeSpec? type = GetTypeSpec(typeSymbol, cancellationToken, out string? typeProblem);
            string target = TypeName(typeSymbol);
            if (typeProblem is not null || context.TargetNode is not TypeDeclarationSyntax syntax)
            {
                return RejectAll(context, type, target, typeProblem ?? "it is not a class or struct (SOCH0007)", PatternIndex(kind), cancellationToken);
            }

            int declarationIndex = DeclarationIndex(typeSymbol, syntax);
            var rules = new List<RuleSpec>();
            var limits = new List<RateLimitSpec>();
            var rejected = new List<RejectedRule>();
            foreach (AttributeData attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (PatternIndex(kind) is >= 0 and var patternIndex
                    && PatternProblem(attribute, patternIndex, cancellationToken, out InvalidPattern? invalid) is { } patternProblem)
                {
                    rejected.Add(new RejectedRule(AttributeText(attribute), target, patternProblem, invalid));
                    continue;
                }

                var position = new DeclarationPosition(
                    DeclarationPosition.ClassLevel, declarationIndex, 0, AttributeIndex(syntax.AttributeLists, attribute));
                string? problem;
                if (kind == RuleKind.Handler)
                {
                    // Handler kind stands for [RateLimit] here: it carries no dispatch rule.
                    problem = TryGetRateLimit(attribute, position, out RateLimitSpec? limit);
                    if (limit is not null)
                    {
                        limits.Add(limit);
                    }
                }
                else
                {
                    problem = TryGetClassRule(attribute, kind, position, out RuleSpec? rule);
                    if (rule is not null)
                    {
                        rules.Add(rule);
                    }
                }

                if (problem is not null)
                {
                    rejected.Add(new RejectedRule(AttributeText(attribute), target, problem));
                }
            }

            return Source(type, rules, limits, rejected);
        }

        private static RuleSource? Source(TypeSpec? type, List<RuleSpec> rules, List<RateLimitSpec> limits, List<RejectedRule> rejected) =>
            rules.Count == 0 && limits.Count == 0 && rejected.Count == 0
                ? null
                : new RuleSource(
                    type,
                    new EquatableArray<RuleSpec>(rules.ToArray()),
                    new EquatableArray<RateLimitSpec>(limits.ToArray()),
                    new EquatableArray<RejectedRule>(rejected.ToArray()));

        /// <summary>
        /// Every attribute of this step, rejected for one reason, or for its pattern (at <paramref name="patternIndex"/>,
        /// none when negative) when that is invalid too: the pattern's SOCH0001 is reported here whatever else is wrong.
        /// </summary>
        private static RuleSource? RejectAll(
            GeneratorAttributeSyntaxContext context, TypeSpec? type, string target, string reason, int patternIndex, CancellationToken cancellationToken)
        {
            var rejected = new List<RejectedRule>();
            foreach (AttributeData attribute in context.Attributes)
            {
                rejected.Add(patternIndex >= 0 && PatternProblem(attribute, patternIndex, cancellationToken, out InvalidPattern? invalid) is { } patternProblem
                    ? new RejectedRule(AttributeText(attribute), target, patternProblem, invalid)
                    : new RejectedRule(AttributeText(attribute), target, reason));
            }

            return Source(type, new List<RuleSpec>(), new List<RateLimitSpec>(), rejected);
        }

        /// <summary>Why the dispatch cannot call a handler with this signature on this trigger, or null when it can.</summary>
        private static string? SignatureProblem(HandlerSignature signature, PolicyTriggerKind trigger)
        {
            if (!signature.IsStatic)
            {
                return "the handler is not static (SOCH0002)";
            }

            if (signature.IsAsync || signature.ReturnsTask || signature.IsGeneric)
            {
                return "the handler is async, returns a task or is generic (SOCH0005)";
            }

            if (signature.Parameters is null)
            {
                return "the handler's parameter list cannot be called (SOCH0003)";
            }

            return signature.ReturnFits(trigger) ? null : "the handler's return type is not valid for " + trigger + " (SOCH0004)";
        }

        /// <summary>The index of a class-level attribute's pattern argument; -1 for <c>[RateLimit]</c>, which has none.</summary>
        private static int PatternIndex(RuleKind kind) => kind switch
        {
            RuleKind.Redact => 0,
            RuleKind.Handler => -1,
            _ => 1,
        };

        /// <summary>
        /// Why the attribute's pattern argument (at <paramref name="index"/>) is not a valid glob, or null; with the
        /// SOCH0001 to report on the offending characters (null when the argument has no source to point at, or when it
        /// is not a constant at all: the compiler reports that, and the rule goes to the <c>#error</c> list).
        /// </summary>
        private static string? PatternProblem(AttributeData attribute, int index, CancellationToken cancellationToken, out InvalidPattern? invalid)
        {
            invalid = null;
            if (attribute.ConstructorArguments.Length <= index || attribute.ConstructorArguments[index].Kind == TypedConstantKind.Error)
            {
                return "its pattern is not a constant string (SOCH0001)";
            }

            string? pattern = attribute.ConstructorArguments[index].Value as string;
            if (GlobParser.Validate(pattern ?? "") is not { } error)
            {
                return null;
            }

            AttributeSyntax? syntax = AttributeArguments.Syntax(attribute, cancellationToken);
            ExpressionSyntax? expression = AttributeArguments.Constructor(syntax, attribute, index);
            Location location = expression is null ? AttributeArguments.LocationOf(null, syntax) : GlobErrorLocation.For(expression, error);
            if (location.IsInSource)
            {
                invalid = InvalidPattern.At(location, PatternDisplay.Shorten(pattern), error.Message);
            }

            return "its pattern is not valid: " + error.Message + " (SOCH0001)";
        }

        private static string NotAMethodTarget(GeneratorAttributeSyntaxContext context)
        {
            SyntaxNode node = context.TargetNode;
            FileLinePositionSpan span = node.GetLocation().GetLineSpan();
            string path = span.Path ?? "";
            int slash = path.LastIndexOfAny(new[] { '/', '\\' });
            string where = path.Substring(slash + 1) + "(" + (span.StartLinePosition.Line + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
            string container = context.TargetSymbol.ContainingSymbol?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) ?? "";
            return node switch
            {
                LocalFunctionStatementSyntax local => "the local function '" + local.Identifier.ValueText + "' in " + container + " at " + where,
                AnonymousFunctionExpressionSyntax => "a lambda in " + container + " at " + where,
                _ => context.TargetSymbol.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat),
            };
        }

        private static string NotAMethodReason(SyntaxNode node) => node is LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax
            ? "the generator only compiles methods declared in a type, never a local function or lambda (SOCH0012)"
            : "the generator only compiles ordinary methods declared in a type";

        /// <summary>The attribute as written, on one line: <c>[BeforeRead("users/*", Order = 2)]</c>.</summary>
        private static string AttributeText(AttributeData attribute)
        {
            string text = attribute.ApplicationSyntaxReference?.GetSyntax().ToString() ?? attribute.AttributeClass?.Name ?? "?";
            var result = new System.Text.StringBuilder(text.Length + 2).Append('[');
            bool space = false;
            foreach (char c in text)
            {
                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    space = true;
                    continue;
                }

                if (space && result.Length > 1)
                {
                    result.Append(' ');
                }

                space = false;
                result.Append(c);
            }

            return result.Append(']').ToString();
        }

        private static string TypeName(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

        private static string? TryGetClassRule(AttributeData attribute, RuleKind kind, DeclarationPosition position, out RuleSpec? rule)
        {
            rule = null;
            PolicyTriggerKind trigger;
            string pattern;
            string replacement = "";
            if (kind == RuleKind.Redact)
            {
                trigger = PolicyTriggerKind.AfterRead;
                if (!TryGetString(attribute, 1, out replacement))
                {
                    return "its replacement is not a constant string";
                }

                TryGetString(attribute, 0, out pattern);
            }
            else
            {
                if (!TryGetInt(attribute, 0, out int triggerValue))
                {
                    return "its trigger is not a constant (SOCH0011)";
                }

                trigger = (PolicyTriggerKind)triggerValue;

                // A denial only means something before an operation, or after a read (the value is withheld); an
                // approval only before it (the analyzer reports both).
                if (!PolicyTriggerRules.IsDefined(triggerValue) || !PolicyTriggerRules.CanDeny(trigger)
                    || (kind == RuleKind.RequireApproval && !PolicyTriggerRules.CanRequireApproval(trigger)))
                {
                    return kind == RuleKind.RequireApproval
                        ? "its trigger cannot hold an operation for approval (SOCH0011)"
                        : "its trigger cannot deny (SOCH0011)";
                }

                // The reason travels in the replacement slot; an empty one still holds the operation (never a dropped rule).
                if (kind == RuleKind.RequireApproval && (!TryGetString(attribute, 2, out replacement) || replacement.Length == 0))
                {
                    replacement = "approval required";
                }

                TryGetString(attribute, 1, out pattern);
            }

            rule = new RuleSpec(kind, trigger, pattern, GetOrder(attribute), "", default, default, replacement, position);
            return null;
        }

        private static string? TryGetRateLimit(AttributeData attribute, DeclarationPosition position, out RateLimitSpec? limit)
        {
            limit = null;
            if (!TryGetInt(attribute, 0, out int operation) || operation is < 0 or > 3)
            {
                return "its operation is not Read, Write, Delete or All (SOCH0010)";
            }

            if (!TryGetInt(attribute, 1, out int maxPerMinute) || maxPerMinute <= 0)
            {
                return "its maxPerMinute is not positive (SOCH0010)";
            }

            string scope = "global";
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "Scope")
                {
                    if (named.Value.Value is not string text || string.IsNullOrWhiteSpace(text))
                    {
                        return "its Scope is null, empty or blank (SOCH0010)";
                    }

                    if (!RateLimitScopeSyntax.IsScope(text))
                    {
                        return "its Scope is not global, agent_id, session_id or item:NAME (SOCH0010)";
                    }

                    scope = text;
                }
            }

            limit = new RateLimitSpec(operation, maxPerMinute, scope, position);
            return null;
        }

        /// <summary>The type chain, or null (with the reason) when the generator cannot add a partial part to it.</summary>
        private static TypeSpec? GetTypeSpec(INamedTypeSymbol type, CancellationToken cancellationToken, out string? problem)
        {
            problem = null;
            var chain = new List<ContainingTypeSpec>();
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string name = TypeName(current);
                if (current.Arity > 0)
                {
                    problem = (SymbolEqualityComparer.Default.Equals(current, type) ? "'" + name + "' is generic" : "it is nested in the generic type '" + name + "'") + " (SOCH0007)";
                    return null;
                }

                if (!IsPartialEverywhere(current, out string keyword, out bool wrongKind))
                {
                    problem = wrongKind ? "'" + name + "' is not a class or struct (SOCH0007)" : "'" + name + "' is not declared partial everywhere (SOCH0006)";
                    return null;
                }

                chain.Insert(0, new ContainingTypeSpec(keyword, current.Name));
            }

            // The generated members must not clash with the type's own: the compiler would report it inside generated code.
            if (GeneratedMembers.FindConflict(type) is { } conflict)
            {
                problem = "'" + TypeName(type) + "' cannot take the generated member '" + conflict.Name + "': " + conflict.Reason + " (SOCH0013)";
                return null;
            }

            string ns = type.ContainingNamespace is { IsGlobalNamespace: false } namespaceSymbol ? namespaceSymbol.ToDisplayString() : "";
            return new TypeSpec(ns, new EquatableArray<ContainingTypeSpec>(chain.ToArray()));
        }

        private static bool IsPartialEverywhere(INamedTypeSymbol type, out string keyword, out bool wrongKind)
        {
            keyword = "";
            wrongKind = type.TypeKind is not (TypeKind.Class or TypeKind.Struct);
            ImmutableArray<SyntaxReference> references = type.DeclaringSyntaxReferences;
            if (wrongKind || references.Length == 0)
            {
                return false;
            }

            foreach (SyntaxReference reference in references)
            {
                if (reference.GetSyntax() is not TypeDeclarationSyntax declaration
                    || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    return false;
                }

                keyword = declaration switch
                {
                    ClassDeclarationSyntax => "class",
                    StructDeclarationSyntax => "struct",
                    RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
                    RecordDeclarationSyntax => "record",
                    _ => "",
                };
                if (keyword.Length == 0)
                {
                    return false;
                }
            }

            return true;
        }

        private static int DeclarationIndex(INamedTypeSymbol type, TypeDeclarationSyntax declaration)
        {
            ImmutableArray<SyntaxReference> references = type.DeclaringSyntaxReferences;
            for (int i = 0; i < references.Length; i++)
            {
                if (references[i].SyntaxTree == declaration.SyntaxTree && references[i].Span == declaration.Span)
                {
                    return i;
                }
            }

            return 0;
        }

        /// <summary>The attribute's index among every attribute written on the declaration (all kinds, in source order).</summary>
        private static int AttributeIndex(SyntaxList<AttributeListSyntax> lists, AttributeData attribute)
        {
            SyntaxReference? reference = attribute.ApplicationSyntaxReference;
            int index = 0;
            foreach (AttributeListSyntax list in lists)
            {
                foreach (AttributeSyntax candidate in list.Attributes)
                {
                    if (reference is not null && candidate.SyntaxTree == reference.SyntaxTree && candidate.Span == reference.Span)
                    {
                        return index;
                    }

                    index++;
                }
            }

            return index;
        }

        private static int GetOrder(AttributeData attribute)
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

        private static bool TryGetString(AttributeData attribute, int index, out string value)
        {
            value = "";
            if (attribute.ConstructorArguments.Length <= index || attribute.ConstructorArguments[index].Value is not string text)
            {
                return false;
            }

            value = text;
            return true;
        }

        private static bool TryGetInt(AttributeData attribute, int index, out int value)
        {
            value = 0;
            if (attribute.ConstructorArguments.Length <= index || attribute.ConstructorArguments[index].Value is not int number)
            {
                return false;
            }

            value = number;
            return true;
        }
    }
}
