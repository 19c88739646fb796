using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SochDb.Policy.Generators.Model;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Generators;

public sealed partial class PolicyGenerator
{
    /// <summary>
    /// Turns attributes into equatable specs. Anything the generator cannot emit (bad glob, wrong handler
    /// signature, non-partial or generic containing type) yields nothing: the analyzers report it.
    /// </summary>
    internal static class Parser
    {
        /// <summary>Predicate for handler attributes: a method declaration (cheap, syntax only).</summary>
        public static bool IsMethod(SyntaxNode node, CancellationToken _) => node is MethodDeclarationSyntax;

        /// <summary>Predicate for class-level attributes: a class, struct or record declaration.</summary>
        public static bool IsType(SyntaxNode node, CancellationToken _) =>
            node is ClassDeclarationSyntax or StructDeclarationSyntax or RecordDeclarationSyntax;

        /// <summary>The rules one method contributes through one attribute type (several when the attribute repeats).</summary>
        public static RuleSource? ParseHandler(GeneratorAttributeSyntaxContext context, PolicyTriggerKind trigger, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not IMethodSymbol method
                || context.TargetNode is not MethodDeclarationSyntax syntax
                || syntax.Parent is not TypeDeclarationSyntax typeSyntax
                || method.ContainingType is not { } containingType)
            {
                return null;
            }

            // The same verdict the analyzers report SOCH0002-SOCH0005 from: what they reject for this trigger is left out.
            HandlerSignature signature = HandlerSignature.Of(method);
            TypeSpec? type = GetTypeSpec(containingType, cancellationToken);
            if (type is null
                || !signature.Accepts(trigger)
                || signature is not { Parameters: { } parameters, Return: { } returns })
            {
                return null;
            }

            int declarationIndex = DeclarationIndex(containingType, typeSyntax);
            int memberIndex = typeSyntax.Members.IndexOf(syntax);
            var rules = new List<RuleSpec>();
            foreach (AttributeData attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!TryGetString(attribute, 0, out string pattern) || !IsValidPattern(pattern))
                {
                    continue;
                }

                var position = new DeclarationPosition(
                    DeclarationPosition.Method, declarationIndex, memberIndex, AttributeIndex(syntax.AttributeLists, attribute));
                rules.Add(new RuleSpec(RuleKind.Handler, trigger, pattern, GetOrder(attribute), method.Name, parameters, returns, "", position));
            }

            return rules.Count == 0 ? null : new RuleSource(type, new EquatableArray<RuleSpec>(rules.ToArray()), EquatableArray<RateLimitSpec>.Empty);
        }

        /// <summary>The rules one type declaration contributes through one class-level attribute type.</summary>
        public static RuleSource? ParseClassLevel(GeneratorAttributeSyntaxContext context, RuleKind kind, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol typeSymbol || context.TargetNode is not TypeDeclarationSyntax syntax)
            {
                return null;
            }

            TypeSpec? type = GetTypeSpec(typeSymbol, cancellationToken);
            if (type is null)
            {
                return null;
            }

            int declarationIndex = DeclarationIndex(typeSymbol, syntax);
            var rules = new List<RuleSpec>();
            var limits = new List<RateLimitSpec>();
            foreach (AttributeData attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var position = new DeclarationPosition(
                    DeclarationPosition.ClassLevel, declarationIndex, 0, AttributeIndex(syntax.AttributeLists, attribute));
                if (kind == RuleKind.Handler)
                {
                    // Handler kind stands for [RateLimit] here: it carries no dispatch rule.
                    if (TryGetRateLimit(attribute, position, out RateLimitSpec? limit))
                    {
                        limits.Add(limit!);
                    }
                }
                else if (TryGetClassRule(attribute, kind, position, out RuleSpec? rule))
                {
                    rules.Add(rule!);
                }
            }

            return rules.Count == 0 && limits.Count == 0
                ? null
                : new RuleSource(type, new EquatableArray<RuleSpec>(rules.ToArray()), new EquatableArray<RateLimitSpec>(limits.ToArray()));
        }

        private static bool TryGetClassRule(AttributeData attribute, RuleKind kind, DeclarationPosition position, out RuleSpec? rule)
        {
            rule = null;
            PolicyTriggerKind trigger;
            string pattern;
            string replacement = "";
            if (kind == RuleKind.Redact)
            {
                trigger = PolicyTriggerKind.AfterRead;
                if (!TryGetString(attribute, 0, out pattern) || !TryGetString(attribute, 1, out replacement))
                {
                    return false;
                }
            }
            else
            {
                if (!TryGetInt(attribute, 0, out int triggerValue) || !TryGetString(attribute, 1, out pattern))
                {
                    return false;
                }

                trigger = (PolicyTriggerKind)triggerValue;

                // A denial only means something before an operation, or after a read (the value is withheld); an
                // approval only before it (the analyzer reports both).
                if (!PolicyTriggerRules.IsDefined(triggerValue) || !PolicyTriggerRules.CanDeny(trigger)
                    || (kind == RuleKind.RequireApproval && !PolicyTriggerRules.CanRequireApproval(trigger)))
                {
                    return false;
                }

                // The reason travels in the replacement slot; an empty one still holds the operation (never a dropped rule).
                if (kind == RuleKind.RequireApproval && (!TryGetString(attribute, 2, out replacement) || replacement.Length == 0))
                {
                    replacement = "approval required";
                }
            }

            if (!IsValidPattern(pattern))
            {
                return false;
            }

            rule = new RuleSpec(kind, trigger, pattern, GetOrder(attribute), "", default, default, replacement, position);
            return true;
        }

        private static bool TryGetRateLimit(AttributeData attribute, DeclarationPosition position, out RateLimitSpec? limit)
        {
            limit = null;
            if (!TryGetInt(attribute, 0, out int operation) || operation is < 0 or > 3
                || !TryGetInt(attribute, 1, out int maxPerMinute) || maxPerMinute <= 0)
            {
                return false;
            }

            string scope = "global";
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "Scope")
                {
                    if (named.Value.Value is not string text || string.IsNullOrWhiteSpace(text))
                    {
                        return false;
                    }

                    scope = text;
                }
            }

            limit = new RateLimitSpec(operation, maxPerMinute, scope, position);
            return true;
        }

        /// <summary>The type chain, or null when the generator cannot add a partial part to it.</summary>
        private static TypeSpec? GetTypeSpec(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            var chain = new List<ContainingTypeSpec>();
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (current.IsGenericType || !IsPartialEverywhere(current, out string keyword))
                {
                    return null;
                }

                chain.Insert(0, new ContainingTypeSpec(keyword, current.Name));
            }

            string ns = type.ContainingNamespace is { IsGlobalNamespace: false } namespaceSymbol ? namespaceSymbol.ToDisplayString() : "";
            return new TypeSpec(ns, new EquatableArray<ContainingTypeSpec>(chain.ToArray()));
        }

        private static bool IsPartialEverywhere(INamedTypeSymbol type, out string keyword)
        {
            keyword = "";
            ImmutableArray<SyntaxReference> references = type.DeclaringSyntaxReferences;
            if (references.Length == 0)
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

        private static bool IsValidPattern(string pattern) => GlobParser.Validate(pattern) is null;

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
