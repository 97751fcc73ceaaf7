// MathVerify's public surface: what parse displays, majority-vote keys, gold-first order, and hostile input.
import Testing
@testable import R1Eval

@Suite struct VerifyAPITests {
    private func check(_ gold: String, _ answer: String) -> Bool {
        MathVerify.verify(gold: MathVerify.parse(gold), answer: MathVerify.parse(answer))
    }

    @Test func displayIsTheNormalizedAnswer() {
        #expect(MathVerify.parse("So the answer is $\\boxed{\\dfrac{1}{2}}$.").display == "\\frac{1}{2}")
        #expect(MathVerify.parse("#### 1,234").display == "1234")
        #expect(MathVerify.parse("").display == "")
        #expect(MathVerify.parse("no numbers here").display == "")
    }

    @Test func equalValuesShareAVotingKey() {
        let keys = ["\\boxed{\\frac{1}{2}}", "\\boxed{0.5}", "The answer is $\\frac{2}{4}$", "\\boxed{\\dfrac12}"]
            .map { MathVerify.parse($0).key }
        #expect(Set(keys).count == 1)
        #expect(MathVerify.parse("\\boxed{3}").key != MathVerify.parse("\\boxed{4}").key)
        #expect(MathVerify.parse("\\boxed{\\sqrt{2}}").key == MathVerify.parse("\\boxed{\\frac{2}{\\sqrt{2}}}").key)
    }

    @Test func equalityAcrossForms() {
        #expect(check("$\\frac{\\sqrt{2}}{2}$", "\\boxed{\\frac{1}{\\sqrt{2}}}"))
        #expect(check("$x^2+2x+1$", "\\boxed{(x+1)^2}"))
        #expect(!check("$x^2+2x+1$", "\\boxed{(x+1)^3}"))
        #expect(check("$2\\pi$", "The answer is $6.283185$"))
        #expect(check("$\\frac{1}{3}$", "\\boxed{0.333333}"))
        #expect(!check("$\\frac{1}{3}$", "\\boxed{0.33}"))
        #expect(check("$\\{1,2,3\\}$", "\\boxed{\\{3,2,1\\}}"))
        #expect(!check("$(1,2)$", "\\boxed{(2,1)}"))
        #expect(check("$[0, 1)$", "\\boxed{[0,1)}"))
        #expect(!check("$[0, 1)$", "\\boxed{[0,1]}"))
        #expect(check("$x = 3$", "\\boxed{3}"))
        #expect(check("$50\\%$", "\\boxed{50}"))
        #expect(check("$2\\frac{1}{2}$", "\\boxed{\\frac{5}{2}}"))
        #expect(check("$1000$", "The total is 1,000 dollars."))
    }

    /// Gold first: a gold set and an answer listing every option are not symmetric to the reverse.
    @Test func goldFirst() {
        #expect(!check("$2$", "\\boxed{1, 2, 3, 4}"))
        #expect(!check("$2$", "$\\boxed{1}$ or $\\boxed{2}$ or $\\boxed{3}$"))
        #expect(check("$x=1$", "\\boxed{1}") && !check("$1$", "\\boxed{y=2}"))
    }

    @Test func hostileInputIsAnswerNotACrash() {
        let deep = String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000)
        #expect(!check("$1$", "$\(deep)$"))
        #expect(!check("$1$", "\\boxed{" + String(repeating: "{", count: 10_000)))
        let long = String(repeating: "blah 12 + ", count: 5_000) + "\\boxed{7}"
        #expect(check("$7$", long))
        // a gold of 1/0 (sympy's zoo) equals nothing as a value; the identical strings still match, as in math-verify
        #expect(check("$\\frac{1}{0}$", "\\boxed{\\frac{1}{0}}"))
        #expect(!check("$\\frac{1}{0}$", "\\boxed{\\infty}"))
        #expect(!check("$10^{100000}$", "\\boxed{10^{99999}}"))
        #expect(!check("", ""))
        #expect(!check("$5$", "\\boxed{}"))
    }
}
