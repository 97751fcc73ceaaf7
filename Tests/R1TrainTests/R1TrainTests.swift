// R1TrainTests
import R1Train
