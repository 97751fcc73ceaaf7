// R1HubTests
import R1Hub
