// R1EvalTests
import R1Eval
